// The messenger's basics: "verzonden" turning "gelezen" when the other has read it, unread
// counts in the list, the filter by name, and a form sent twice storing its message once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSmtpSink } from '../lib/smtp-sink.mjs';
import { startServer } from '../lib/server.mjs';
import { launch, checkA11y, screenshots, DESKTOP } from '../lib/browser.mjs';
import { setUpPractice, registerPatient } from '../lib/journey.mjs';

let sink, server, browser, staff;
before(async () => {
  sink = await startSmtpSink();
  server = await startServer({ smtpUrl: sink.url });
  browser = await launch();
  staff = await (await browser.newContext({ viewport: DESKTOP })).newPage();
  await setUpPractice(staff, server);
});
after(async () => {
  await browser?.close();
  await server?.stop();
  await sink?.close();
});

async function send(page, text) {
  await page.getByRole('textbox', { name: 'Bericht' }).fill(text);
  await page.getByRole('button', { name: 'Stuur' }).click();
  await page.locator('.message.mine').filter({ hasText: text }).waitFor();
}

test('sent, read, unread counts, the filter, and a form sent twice', async () => {
  const piet = await registerPatient(browser, sink, staff, { first: 'Piet', last: 'Post', email: 'piet@example.test', password: 'Brievenbus-7!' });
  await registerPatient(browser, sink, staff, { first: 'Lies', last: 'Lammers', email: 'lies@example.test', password: 'Tulpenveld-8!' });

  await send(piet, 'Goedemorgen, mag ik een herhaalrecept?');
  const mine = piet.locator('.message.mine').filter({ hasText: 'herhaalrecept' });
  await mine.getByText('verzonden').waitFor();

  // The provider's list: newest first, with the unread count; the filter finds by name.
  await staff.goto(server.base + '/messenger');
  const items = staff.locator('.conv-list li');
  assert.equal(await items.count(), 2);
  assert.match(await items.first().innerText(), /Piet Post[\s\S]*1 ongelezen/);
  await checkA11y(staff, 'conversation list');
  await screenshots(staff, '40-conversation-list');
  await staff.getByLabel('Zoek een gesprek op naam').fill('lammers');
  await staff.getByRole('button', { name: 'Zoeken' }).click();
  assert.equal(await items.count(), 1);
  assert.match(await items.first().innerText(), /Lies Lammers/);
  await staff.getByLabel('Zoek een gesprek op naam').fill('niemand');
  await staff.getByRole('button', { name: 'Zoeken' }).click();
  await staff.getByText('Geen gesprekken met deze naam.').waitFor();

  // Opening it reads it: Piet sees "gelezen".
  await staff.goto(server.base + '/messenger?q=piet');
  await staff.getByRole('link', { name: /Piet Post/ }).click();
  await staff.getByText('Goedemorgen, mag ik een herhaalrecept?').waitFor();
  await piet.reload();
  await mine.getByText('gelezen').waitFor();
  await checkA11y(piet, 'conversation with status');
  await screenshots(piet, '41-conversation-read');

  // Piet chooses not to send read receipts: the provider's next message stays "verzonden"
  // after he has read it.
  await piet.goto(server.base + '/settings');
  await piet.getByLabel('Laat anderen zien dat ik hun berichten heb gelezen').uncheck();
  await piet.getByRole('button', { name: 'Opslaan', exact: true }).click();
  await piet.getByText('Je keuze voor leesbevestigingen is opgeslagen.').waitFor();
  await send(staff, 'Het recept ligt klaar bij de apotheek.');
  await piet.goto(server.base + '/messenger');
  await piet.getByText('Het recept ligt klaar bij de apotheek.').waitFor();
  await staff.reload();
  const latest = staff.locator('.message.mine').filter({ hasText: 'apotheek' });
  await latest.getByText('verzonden').waitFor();
  assert.equal(await latest.getByText('gelezen').count(), 0);

  // The same form sent twice (a double click, a resent page) stores one message.
  const form = piet.locator('#composer');
  const fields = {
    _csrf: await form.locator('input[name=_csrf]').inputValue(),
    client_id: await form.locator('input[name=client_id]').inputValue(),
    body: 'Alleen één keer, graag',
  };
  const action = new URL(await form.getAttribute('action'), server.base).toString();
  const answers = await Promise.all([1, 2].map(() => piet.request.post(action, { form: fields, maxRedirects: 0 })));
  assert.deepEqual(answers.map((r) => r.status()), [303, 303]);
  await piet.reload();
  assert.equal(await piet.locator('.message').filter({ hasText: 'Alleen één keer, graag' }).count(), 1);
});
