// Contacten and Groepen: each person sees only whom they may reach (a patient never another
// patient); staff make a named group with at most one patient, add and remove members; a
// removed member sees nothing of the conversation afterwards, live or on reload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { practiceSuite } from '../lib/harness.mjs';
import { checkA11y, screenshots, eventually } from '../lib/browser.mjs';
import { setUpPractice, registerPatient } from '../lib/journey.mjs';

const ctx = practiceSuite();

const names = (page, list) => page.locator(`ul.${list} .contact-name`).allInnerTexts();

test('contacts, a group with a member removed, and what patients cannot do', async () => {
  const anna = await ctx.newPage();
  await setUpPractice(anna, ctx.server);
  ctx.server.admin(['create-staff', '--email', 'bram@delinde.test', '--name', 'Bram Bakker', '--role', 'assistant']);
  const piet = await registerPatient(ctx.browser, ctx.sink, anna, { first: 'Piet', last: 'Post', email: 'piet@example.test', password: 'Brievenbus-7!' });
  const lies = await registerPatient(ctx.browser, ctx.sink, anna, { first: 'Lies', last: 'Lammers', email: 'lies@example.test', password: 'Tulpenveld-8!' });

  // Contacten: the patient sees the provider who invited him, nobody else.
  await piet.getByRole('link', { name: 'Contacten' }).click();
  await piet.getByRole('heading', { name: 'Contacten' }).waitFor();
  assert.deepEqual(await names(piet, 'contacts'), ['Anna de Vries']);
  // Anna administers the practice, but the patient sees the part she plays for him.
  const annaRow = piet.locator('ul.contacts li').filter({ hasText: 'Anna de Vries' });
  await annaRow.getByText('Praktijkmedewerker').waitFor();
  assert.equal(await annaRow.getByText('Beheerder').count(), 0);
  await checkA11y(piet, 'contacts (patient)');
  // Staff see colleagues and the patients they are in conversation with.
  await anna.goto(ctx.server.base + '/contacts');
  assert.deepEqual(await names(anna, 'contacts'), ['Bram Bakker', 'Lies Lammers', 'Piet Post']);
  await screenshots(anna, '62-contacts');
  // "Stuur bericht" opens the 1:1 conversation that is already there.
  await piet.getByRole('button', { name: 'Stuur bericht aan Anna de Vries' }).click();
  await piet.getByRole('heading', { name: 'Gesprek met Anna de Vries' }).waitFor();

  // A group with two patients is refused, with the choices kept.
  await anna.goto(ctx.server.base + '/groups');
  await anna.getByRole('link', { name: 'Nieuwe groep' }).click();
  await anna.getByLabel('Naam van de groep').fill('Zorgteam Piet');
  await anna.getByLabel(/Piet Post/).check();
  await anna.getByLabel(/Lies Lammers/).check();
  await anna.getByRole('button', { name: 'Groep maken' }).click();
  await anna.getByRole('alert').filter({ hasText: 'Een groep kan maar één patiënt hebben.' }).waitFor();
  assert.equal(await anna.getByLabel(/Piet Post/).isChecked(), true);
  await checkA11y(anna, 'new group with an error');
  await anna.getByLabel(/Lies Lammers/).uncheck();
  await anna.getByLabel(/Bram Bakker/).check();
  await screenshots(anna, '63-new-group');
  await anna.getByRole('button', { name: 'Groep maken' }).click();
  await anna.getByText('De groep is gemaakt.').waitFor();
  assert.deepEqual((await names(anna, 'members')).sort(), ['Anna de Vries', 'Bram Bakker', 'Piet Post']);
  await checkA11y(anna, 'group page');
  await screenshots(anna, '64-group');

  // The group is a conversation: Piet has it, and reads Anna's message there.
  await anna.getByRole('link', { name: 'Naar het gesprek' }).click();
  await anna.getByRole('heading', { name: 'Zorgteam Piet' }).waitFor();
  const groupUrl = anna.url().split('#')[0];
  await anna.getByRole('textbox', { name: 'Bericht' }).fill('Welkom in het zorgteam, Piet.');
  await anna.getByRole('button', { name: 'Stuur' }).click();
  await anna.locator('.message.mine').filter({ hasText: 'Welkom in het zorgteam' }).waitFor();
  await piet.goto(ctx.server.base + '/groups');
  await piet.getByRole('link', { name: 'Zorgteam Piet', exact: true }).click();
  await piet.getByText('Welkom in het zorgteam, Piet.').waitFor();
  await piet.locator('#messenger[data-live="open"]').waitFor();
  assert.equal(await piet.getByRole('link', { name: 'Nieuwe groep' }).count(), 0);
  // The group's members as Piet sees them: the care roles, not "Beheerder".
  await piet.goto(groupUrl.replace('/messenger/', '/groups/'));
  const members = piet.locator('ul.members');
  await members.locator('li').filter({ hasText: 'Anna de Vries' }).getByText('Praktijkmedewerker').waitFor();
  assert.equal(await members.getByText('Beheerder').count(), 0);
  // Back in the conversation, with its socket open, for what follows.
  await piet.goto(groupUrl);
  await piet.getByText('Welkom in het zorgteam, Piet.').waitFor();
  await piet.locator('#messenger[data-live="open"]').waitFor();

  // Removed: from then on Piet sees nothing of it, live or after a reload.
  await anna.goto(groupUrl.replace('/messenger/', '/groups/'));
  await anna.getByRole('button', { name: 'Piet Post uit de groep verwijderen' }).click();
  await anna.getByText('Het lid is uit de groep verwijderd').waitFor();
  assert.deepEqual((await names(anna, 'members')).sort(), ['Anna de Vries', 'Bram Bakker']);
  await anna.goto(groupUrl);
  await anna.getByRole('textbox', { name: 'Bericht' }).fill('Na het verwijderen geschreven.');
  await anna.getByRole('button', { name: 'Stuur' }).click();
  await anna.locator('.message.mine').filter({ hasText: 'Na het verwijderen' }).waitFor();
  // A third message for Anna's own page to show: by then the first would have reached Piet too.
  await anna.getByRole('textbox', { name: 'Bericht' }).fill('Nog een bericht.');
  await anna.getByRole('button', { name: 'Stuur' }).click();
  await anna.locator('.message.mine').filter({ hasText: 'Nog een bericht.' }).waitFor();
  assert.equal(await piet.getByText('Na het verwijderen geschreven.').count(), 0, 'not delivered live');
  const reload = await piet.goto(groupUrl);
  assert.equal(reload.status(), 404);
  assert.equal((await piet.goto(groupUrl.replace('/messenger/', '/groups/'))).status(), 404);
  await piet.goto(ctx.server.base + '/groups');
  await piet.getByText('Je zit nog niet in een groep.').waitFor();
  await piet.goto(ctx.server.base + '/messenger');
  assert.equal(await piet.getByRole('link', { name: /Zorgteam Piet/ }).count(), 0);
  await piet.locator('#messenger[data-live="open"]').waitFor();
  // Added again while his conversation list is open: the group appears in it at once, at the
  // top, and a new message there counts as unread once.
  await anna.goto(groupUrl.replace('/messenger/', '/groups/'));
  await anna.getByLabel('Wie wil je toevoegen?').selectOption({ label: 'Piet Post (Patiënt)' });
  await anna.getByRole('button', { name: 'Toevoegen' }).click();
  await anna.getByText('Het nieuwe lid is toegevoegd').waitFor();
  const top = piet.locator('ul.conv-list li').first();
  await top.getByText('Zorgteam Piet').waitFor();
  assert.equal(await top.locator('.unread').count(), 0, 'what he may see of it he has seen');
  await anna.goto(groupUrl);
  await anna.getByRole('textbox', { name: 'Bericht' }).fill('Fijn dat je er weer bij bent.');
  await anna.getByRole('button', { name: 'Stuur' }).click();
  await anna.locator('.message.mine').filter({ hasText: 'Fijn dat je er weer bij bent.' }).waitFor();
  await top.locator('.unread').filter({ hasText: '1 ongelezen' }).waitFor();
  assert.deepEqual(await piet.locator('ul.conv-list .conv-title').allInnerTexts(), ['Zorgteam Piet', 'Anna de Vries']);
  await checkA11y(piet, 'conversation list with a group joined live');
  await screenshots(piet, '65-group-joined-live');
  await anna.goto(groupUrl.replace('/messenger/', '/groups/'));
  // He reads the conversation once more, but not what was said while he was out.
  await eventually(async () => (await piet.goto(groupUrl)).status() === 200, 'Piet reads the group again');
  await piet.getByText('Welkom in het zorgteam, Piet.').waitFor();
  assert.equal(await piet.getByText('Na het verwijderen geschreven.').count(), 0, 'what was said while he was out stays hidden');
  assert.equal(await piet.getByText('Nog een bericht.').count(), 0);

  // What a patient cannot do: make groups, manage members, reach another patient.
  const csrf = await lies.evaluate(() => document.querySelector('input[name=_csrf]')?.value);
  assert.ok(csrf);
  const pietId = await anna.evaluate(() => {
    const b = Array.from(document.querySelectorAll('ul.members form')).find((f) => f.closest('li').textContent.includes('Piet Post'));
    return b.getAttribute('action').split('/')[4];
  });
  const groupId = new URL(groupUrl).pathname.split('/').pop();
  const statuses = await lies.evaluate(async ({ csrf, pietId, groupId }) => {
    const post = (url, body) => fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: csrf, ...body }), redirect: 'manual' }).then((r) => r.status);
    return [
      await post(`/contacts/${pietId}/message`, {}),
      await post('/groups/new', { name: 'Patiënten onder elkaar', member: pietId }),
      await post(`/groups/${groupId}/members`, { member: pietId }),
      await post(`/groups/${groupId}/members/${pietId}/remove`, {}),
      await fetch('/groups/new').then((r) => r.status),
      await fetch(`/groups/${groupId}`).then((r) => r.status),
    ];
  }, { csrf, pietId, groupId });
  assert.deepEqual(statuses, [404, 404, 404, 404, 404, 404]);
  await lies.goto(ctx.server.base + '/contacts');
  assert.deepEqual(await names(lies, 'contacts'), ['Anna de Vries']);
});
