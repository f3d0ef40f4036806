// The messenger's basics: "verzonden" turning "gelezen" when the other has read it, unread
// counts in the list, the filter by name, and a form sent twice storing its message once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { practiceSuite } from '../lib/harness.mjs';
import { checkA11y, screenshots } from '../lib/browser.mjs';
import { registerPatient } from '../lib/journey.mjs';

const ctx = practiceSuite({ practice: true });

async function send(page, text) {
  await page.getByRole('textbox', { name: 'Bericht' }).fill(text);
  await page.getByRole('button', { name: 'Stuur' }).click();
  await page.locator('.message.mine').filter({ hasText: text }).waitFor();
}

test('sent, read, unread counts, the filter, and a form sent twice', async () => {
  const piet = await registerPatient(ctx.browser, ctx.sink, ctx.staff, { first: 'Piet', last: 'Post', email: 'piet@example.test', password: 'Brievenbus-7!' });
  await registerPatient(ctx.browser, ctx.sink, ctx.staff, { first: 'Lies', last: 'Lammers', email: 'lies@example.test', password: 'Tulpenveld-8!' });

  await send(piet, 'Goedemorgen, mag ik een herhaalrecept?');
  const mine = piet.locator('.message.mine').filter({ hasText: 'herhaalrecept' });
  await mine.getByText('verzonden').waitFor();

  // The provider's list: newest first, with the unread count; the filter finds by name.
  await ctx.staff.goto(ctx.server.base + '/messenger');
  const items = ctx.staff.locator('.conv-list li');
  assert.equal(await items.count(), 2);
  assert.match(await items.first().innerText(), /Piet Post[\s\S]*1 ongelezen/);
  await checkA11y(ctx.staff, 'conversation list');
  await screenshots(ctx.staff, '40-conversation-list');
  await ctx.staff.getByLabel('Zoek een gesprek op naam').fill('lammers');
  await ctx.staff.getByRole('button', { name: 'Zoeken' }).click();
  assert.equal(await items.count(), 1);
  assert.match(await items.first().innerText(), /Lies Lammers/);
  await ctx.staff.getByLabel('Zoek een gesprek op naam').fill('niemand');
  await ctx.staff.getByRole('button', { name: 'Zoeken' }).click();
  await ctx.staff.getByText('Geen gesprekken met deze naam.').waitFor();

  // Opening it reads it: Piet sees "gelezen".
  await ctx.staff.goto(ctx.server.base + '/messenger?q=piet');
  await ctx.staff.getByRole('link', { name: /Piet Post/ }).click();
  await ctx.staff.getByText('Goedemorgen, mag ik een herhaalrecept?').waitFor();
  await piet.reload();
  await mine.getByText('gelezen').waitFor();
  await checkA11y(piet, 'conversation with status');
  await screenshots(piet, '41-conversation-read');

  // Piet chooses not to send read receipts: the provider's next message stays "verzonden"
  // after he has read it.
  await piet.goto(ctx.server.base + '/settings');
  await piet.getByLabel('Laat anderen zien dat ik hun berichten heb gelezen').uncheck();
  await piet.getByRole('button', { name: 'Opslaan', exact: true }).click();
  await piet.getByText('Je keuze voor leesbevestigingen is opgeslagen.').waitFor();
  await send(ctx.staff, 'Het recept ligt klaar bij de apotheek.');
  await piet.goto(ctx.server.base + '/messenger');
  await piet.getByText('Het recept ligt klaar bij de apotheek.').waitFor();
  await ctx.staff.reload();
  const latest = ctx.staff.locator('.message.mine').filter({ hasText: 'apotheek' });
  await latest.getByText('verzonden').waitFor();
  assert.equal(await latest.getByText('gelezen').count(), 0);

  // The same form sent twice (a double click, a resent page) stores one message.
  const form = piet.locator('#composer');
  const fields = {
    _csrf: await form.locator('input[name=_csrf]').inputValue(),
    client_id: await form.locator('input[name=client_id]').inputValue(),
    body: 'Alleen één keer, graag',
  };
  const action = new URL(await form.getAttribute('action'), ctx.server.base).toString();
  const answers = await Promise.all([1, 2].map(() => piet.request.post(action, { form: fields, maxRedirects: 0 })));
  assert.deepEqual(answers.map((r) => r.status()), [303, 303]);
  await piet.reload();
  assert.equal(await piet.locator('.message').filter({ hasText: 'Alleen één keer, graag' }).count(), 1);
});

test('a message over 10,000 characters is not cut: the composer says by how much and sends nothing', async () => {
  const piet = await registerPatient(ctx.browser, ctx.sink, ctx.staff, { first: 'Karel', last: 'Lang', email: 'karel@example.test', password: 'Lange-Brief-9!' });
  const box = piet.getByRole('textbox', { name: 'Bericht' });
  const letter = 'Beste dokter, '.padEnd(10050, 'x') + ' met vriendelijke groet, Karel';
  await box.fill(letter);
  await piet.getByText(/^Je bericht is 80 tekens te lang: een bericht mag hoogstens 10\.000 tekens hebben\./).waitFor();
  assert.equal(await box.getAttribute('aria-invalid'), 'true');
  await checkA11y(piet, 'composer, message too long');
  await screenshots(piet, '66-composer-too-long');
  await piet.getByRole('button', { name: 'Stuur' }).click();
  await piet.keyboard.press('Enter');
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(await piet.locator('.message.mine').count(), 0, 'nothing was sent');
  assert.equal((await box.inputValue()).length, letter.length, 'the letter is whole, to its last word');
  // Near the limit the room left shows; within it the message goes, whole.
  const fits = letter.slice(0, 9990);
  await box.fill(fits);
  await piet.getByText('Nog 10 tekens over.').waitFor();
  await piet.getByRole('button', { name: 'Stuur' }).click();
  await piet.locator('.message.mine').first().waitFor();
  assert.equal((await piet.locator('.message.mine .body').first().innerText()).length, 9990);
  // Sent today: the time alone, live and after a reload (the date only for older days).
  assert.match(await piet.locator('.message.mine .time').first().innerText(), /^\d\d:\d\d$/);
  await piet.reload();
  assert.match(await piet.locator('.message.mine .time').first().innerText(), /^\d\d:\d\d$/);
  assert.equal(await piet.getByText('Er zijn nog geen berichten in dit gesprek.').isVisible(), false);
});

test('an empty conversation says there are no messages yet', async () => {
  // A new colleague: the first conversation with her has no messages.
  ctx.server.admin(['create-staff', '--email', 'els@delinde.test', '--name', 'Els Leeg', '--role', 'assistant']);
  await ctx.staff.goto(ctx.server.base + '/contacts');
  await ctx.staff.getByRole('button', { name: 'Stuur bericht aan Els Leeg' }).click();
  await ctx.staff.getByRole('heading', { name: 'Gesprek met Els Leeg' }).waitFor();
  assert.equal(await ctx.staff.locator('.message').count(), 0);
  await ctx.staff.getByText('Er zijn nog geen berichten in dit gesprek. Schrijf hieronder het eerste bericht.').waitFor();
  await checkA11y(ctx.staff, 'empty conversation');
  await screenshots(ctx.staff, '67-conversation-empty');
  // The first message takes its place.
  await send(ctx.staff, 'Welkom in het team, Els!');
  assert.equal(await ctx.staff.getByText('Er zijn nog geen berichten in dit gesprek.').isVisible(), false);
});
