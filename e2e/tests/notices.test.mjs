// E-mail notices of unread messages: someone who is not online gets one e-mail that says only
// that there is a new message at the practice, with a link; no second one within the window;
// none while the messenger is open in front of them; none after switching them off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { practiceSuite } from '../lib/harness.mjs';
import { checkA11y } from '../lib/browser.mjs';
import { setUpPractice, registerPatient, PRACTICE } from '../lib/journey.mjs';

// Look every second (the default is a minute); the window stays 15 minutes.
const ctx = practiceSuite({ env: { SPREEKUUR_NOTIFY_CHECK_SECONDS: '1' } });

const SUBJECT = `Nieuw bericht van ${PRACTICE.name}`;
const notices = (email) => ctx.sink.messages.filter((m) => (m.headers.to || '').includes(email) && m.headers.subject === SUBJECT);

async function write(anna, name, text) {
  await anna.goto(ctx.server.base + '/messenger');
  await anna.getByRole('link', { name: new RegExp(name) }).click();
  await anna.getByRole('textbox', { name: 'Bericht' }).fill(text);
  await anna.getByRole('button', { name: 'Stuur' }).click();
  await anna.locator('.message.mine').filter({ hasText: text }).waitFor();
}

test('one notice without content while away, none while online or switched off', async () => {
  const anna = await ctx.newPage();
  await setUpPractice(anna, ctx.server);
  const piet = await registerPatient(ctx.browser, ctx.sink, anna, { first: 'Piet', last: 'Post', email: 'piet@example.test', password: 'Brievenbus-7!' });
  const lies = await registerPatient(ctx.browser, ctx.sink, anna, { first: 'Lies', last: 'Lammers', email: 'lies@example.test', password: 'Tulpenveld-8!' });
  const kees = await registerPatient(ctx.browser, ctx.sink, anna, { first: 'Kees', last: 'Kok', email: 'kees@example.test', password: 'Fietsbel-9!x' });

  // Piet goes away; a message waits for him: one e-mail, with nothing of the message in it.
  await piet.context().close();
  await write(anna, 'Piet Post', 'Uw bloeduitslag is binnen: het ijzergehalte is laag.');
  const mail = await ctx.sink.waitFor('piet@example.test', (m) => m.headers.subject === SUBJECT);
  assert.match(mail.text, /Er staat een nieuw bericht voor je klaar bij Huisartsenpraktijk De Linde/);
  assert.ok(mail.text.includes(`${ctx.server.base}/messenger`), 'a link to the messenger');
  for (const secret of ['bloeduitslag', 'ijzer', 'Anna', 'Vries', 'Piet', 'Post']) {
    assert.ok(!mail.text.includes(secret) && !mail.html.includes(secret), `the notice does not say "${secret}"`);
  }

  // A second message within the window: no second e-mail. Kees has the messenger open: no
  // e-mail either. Lies is away and gets hers, which shows the server has looked since.
  await write(anna, 'Piet Post', 'Wilt u een afspraak maken?');
  await kees.locator('#messenger[data-live="open"]').waitFor();
  await write(anna, 'Kees Kok', 'Uw recept ligt klaar.');
  await kees.getByText('Uw recept ligt klaar.').waitFor();
  await lies.context().close();
  await write(anna, 'Lies Lammers', 'Hoe gaat het met de oefeningen?');
  await ctx.sink.waitFor('lies@example.test', (m) => m.headers.subject === SUBJECT);
  assert.equal(notices('piet@example.test').length, 1, 'one per window');
  assert.equal(notices('kees@example.test').length, 0, 'not while online');

  // Kees switches the e-mails off and leaves; a new message brings him none (Mies, away,
  // gets hers: the server has looked again).
  await kees.goto(ctx.server.base + '/settings');
  const box = kees.getByLabel('Stuur me een e-mail als er een nieuw bericht voor me is en ik niet ingelogd ben');
  assert.equal(await box.isChecked(), true, 'on by default');
  await checkA11y(kees, 'settings with the notice choice');
  await box.uncheck();
  await kees.getByRole('button', { name: 'Keuze voor e-mails opslaan' }).click();
  await kees.getByText('Je keuze voor e-mails bij een nieuw bericht is opgeslagen.').waitFor();
  assert.equal(await kees.getByLabel(/Stuur me een e-mail als er een nieuw bericht/).isChecked(), false);
  const mies = await registerPatient(ctx.browser, ctx.sink, anna, { first: 'Mies', last: 'Mol', email: 'mies@example.test', password: 'Zonnebloem-5!' });
  await kees.context().close();
  await mies.context().close();
  await write(anna, 'Kees Kok', 'Nog een vraag over uw recept.');
  await write(anna, 'Mies Mol', 'Welkom bij de praktijk.');
  await ctx.sink.waitFor('mies@example.test', (m) => m.headers.subject === SUBJECT);
  assert.equal(notices('kees@example.test').length, 0, 'switched off');
});
