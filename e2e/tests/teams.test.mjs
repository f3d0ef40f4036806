// Teams: the administrator puts staff in "Planbureau"; a patient writes to the team from
// Contacten and sees the team's name and who answered; the team's members see it, one takes it
// ("Ik pak dit op") and hands it to a colleague; taken out of the team, a member no longer sees
// its conversations; a patient can do none of the staff's part.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { practiceSuite } from '../lib/harness.mjs';
import { checkA11y, screenshots, eventually } from '../lib/browser.mjs';
import { setUpPractice, registerPatient } from '../lib/journey.mjs';

const ctx = practiceSuite();

test('a patient writes to Planbureau; it is taken and handed over', async () => {
  const anna = await ctx.newPage();
  await setUpPractice(anna, ctx.server);
  ctx.server.admin(['create-staff', '--email', 'bram@delinde.test', '--name', 'Bram Bakker', '--role', 'assistant']);

  // The two teams are there from the start; Anna puts herself and Bram in Planbureau.
  await anna.getByRole('link', { name: 'Teams' }).click();
  await anna.getByRole('heading', { name: 'Planbureau' }).waitFor();
  await anna.getByRole('heading', { name: 'Cliëntensupport' }).waitFor();
  await anna.getByLabel('Medewerker toevoegen aan Planbureau').selectOption({ label: 'Anna de Vries' });
  await anna.getByRole('region', { name: 'Planbureau' }).getByRole('button', { name: 'Toevoegen' }).click();
  await anna.getByText('De medewerker zit nu in het team').waitFor();
  await anna.getByLabel('Medewerker toevoegen aan Planbureau').selectOption({ label: 'Bram Bakker' });
  await anna.getByRole('region', { name: 'Planbureau' }).getByRole('button', { name: 'Toevoegen' }).click();
  const members = anna.getByRole('list', { name: 'Leden van Planbureau' }).locator('.contact-name');
  await eventually(async () => (await members.count()) === 2, 'both in Planbureau');
  assert.deepEqual((await members.allInnerTexts()).sort(), ['Anna de Vries', 'Bram Bakker']);
  // A second team with the same name is refused.
  await anna.getByLabel('Naam van het team').fill('Planbureau');
  await anna.getByRole('button', { name: 'Team maken' }).click();
  await anna.getByRole('alert').filter({ hasText: 'Er is al een team met deze naam.' }).waitFor();
  await checkA11y(anna, 'teams');
  await screenshots(anna, '65-teams');

  // Piet writes to Planbureau from Contacten.
  const piet = await registerPatient(ctx.browser, ctx.sink, anna, { first: 'Piet', last: 'Post', email: 'piet@example.test', password: 'Brievenbus-7!' });
  await piet.getByRole('link', { name: 'Contacten' }).click();
  await piet.getByText('Afspraken maken, verzetten of afzeggen').waitFor();
  await checkA11y(piet, 'contacts with teams');
  await piet.getByRole('button', { name: 'Stuur bericht aan Planbureau' }).click();
  await piet.getByRole('heading', { name: 'Gesprek met Planbureau' }).waitFor();
  await piet.getByRole('textbox', { name: 'Bericht' }).fill('Ik wil mijn afspraak van dinsdag verzetten.');
  await piet.getByRole('button', { name: 'Stuur' }).click();
  await piet.locator('.message.mine').filter({ hasText: 'afspraak van dinsdag' }).waitFor();
  // Writing again finds the same conversation.
  await piet.goto(ctx.server.base + '/contacts');
  await piet.getByRole('button', { name: 'Stuur bericht aan Planbureau' }).click();
  await piet.getByText('Ik wil mijn afspraak van dinsdag verzetten.').waitFor();
  assert.equal(await piet.locator('.team-banner').count(), 0, 'the patient sees no staff controls');

  // The team sees it: "Planbureau – Piet Post", unread; nobody has taken it.
  await anna.goto(ctx.server.base + '/messenger');
  const item = anna.locator('.conv-list li').filter({ hasText: 'Planbureau – Piet Post' });
  assert.match(await item.innerText(), /1 ongelezen/);
  await item.getByRole('link').click();
  await anna.getByText('Bericht aan het team Planbureau. Nog niemand heeft het opgepakt.').waitFor();
  await anna.getByRole('button', { name: 'Ik pak dit op' }).click();
  await anna.getByText('Je hebt dit gesprek opgepakt.').waitFor();
  await anna.getByText('Bericht aan het team Planbureau. Jij hebt het opgepakt.').waitFor();
  assert.equal(await anna.getByRole('button', { name: 'Ik pak dit op' }).count(), 0);
  await anna.getByRole('textbox', { name: 'Bericht' }).fill('Dat kan. Past donderdag om 10:00?');
  await anna.getByRole('button', { name: 'Stuur' }).click();
  await anna.locator('.message.mine').filter({ hasText: 'donderdag' }).waitFor();
  await checkA11y(anna, 'team conversation');
  await screenshots(anna, '66-team-conversation');

  // Piet sees the team's name and who answered.
  await piet.reload();
  const answer = piet.locator('.message').filter({ hasText: 'Past donderdag om 10:00?' });
  assert.match(await answer.locator('.sender').innerText(), /Anna de Vries/);
  await piet.getByRole('heading', { name: 'Gesprek met Planbureau' }).waitFor();
  // He reaches the team, not each of its members.
  await piet.goto(ctx.server.base + '/contacts');
  assert.deepEqual(await piet.locator('ul.contacts .contact-name').allInnerTexts(), ['Anna de Vries']);

  // Anna hands it to Bram.
  await anna.getByLabel('Overdragen aan').selectOption({ label: 'Bram Bakker' });
  await anna.getByRole('button', { name: 'Overdragen', exact: true }).click();
  await anna.getByText('Het gesprek is overgedragen.').waitFor();
  await anna.getByText('Bericht aan het team Planbureau. Opgepakt door Bram Bakker.').waitFor();
  assert.equal(await anna.getByRole('button', { name: 'Ik pak dit op' }).count(), 1, 'she may take it back');
  const conversation = new URL(anna.url()).pathname.split('/').pop();

  // A patient can neither take, hand over, nor manage teams.
  const csrf = await piet.evaluate(() => document.querySelector('input[name=_csrf]').value);
  const teamId = await anna.evaluate(async () => {
    const html = await fetch('/teams').then((r) => r.text());
    return /action="\/teams\/([0-9a-f-]+)\/members"/.exec(html)[1];
  });
  const statuses = await piet.evaluate(async ({ csrf, conversation, teamId }) => {
    const post = (url, body = {}) => fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: csrf, ...body }), redirect: 'manual' }).then((r) => r.status);
    return [
      await post(`/messenger/${conversation}/take`),
      await post(`/messenger/${conversation}/hand-over`, { to: conversation }),
      await post('/teams', { name: 'Eigen team', purpose: '' }),
      await post(`/teams/${teamId}/members`, { member: conversation }),
      await fetch('/teams').then((r) => r.status),
    ];
  }, { csrf, conversation, teamId });
  assert.deepEqual(statuses, [404, 404, 404, 404, 404]);

  // Taken out of Planbureau, Anna no longer sees its conversations.
  await anna.goto(ctx.server.base + '/teams');
  await anna.getByRole('button', { name: 'Uit het team halen: Anna de Vries (Planbureau)' }).click();
  await anna.getByText('De medewerker is uit het team gehaald').waitFor();
  assert.equal((await anna.goto(`${ctx.server.base}/messenger/${conversation}`)).status(), 404);
  await anna.goto(ctx.server.base + '/messenger');
  assert.equal(await anna.locator('.conv-list li').filter({ hasText: 'Planbureau' }).count(), 0);
});
