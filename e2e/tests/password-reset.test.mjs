// Issue #6, first step: guessing is slowed down (never a permanent lock-out), and
// "Wachtwoord vergeten" lets a patient back in and signs out every other session.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { practiceSuite } from '../lib/harness.mjs';
import { checkA11y, screenshots } from '../lib/browser.mjs';
import { ADMIN, registerPatient, logIn } from '../lib/journey.mjs';

const ctx = practiceSuite({ practice: true });

const wim = { first: 'Wim', last: 'Willems', email: 'wim@example.test', password: 'Woordje1!' };

test('guessing waits after five failures, alike for known and unknown addresses; a reset lets the patient back in', async () => {
  const other = await registerPatient(ctx.browser, ctx.sink, ctx.staff, wim);
  const page = await ctx.newPage();
  for (const login of [wim.email, 'niemand@example.test']) {
    for (let i = 0; i < 5; i++) {
      assert.equal(await logIn(page, ctx.server.base, login, 'Fout-wachtwoord1'), 401);
      await page.getByText('Het e-mailadres, de gebruikersnaam of het wachtwoord klopt niet.').waitFor();
    }
    assert.equal(await logIn(page, ctx.server.base, login, 'Fout-wachtwoord1'), 429, `${login}: the sixth failure waits`);
    await page.getByText(/Te veel mislukte pogingen\. Probeer het opnieuw om \d\d:\d\d\./).waitFor();
  }
  await checkA11y(page, 'login, blocked');
  await screenshots(page, '16-login-blocked');
  assert.equal(await logIn(page, ctx.server.base, wim.email, wim.password), 429, 'even the right password waits');

  // "Wachtwoord vergeten?": the same answer for every address; one e-mail for the real one.
  await page.getByRole('link', { name: 'Wachtwoord vergeten?' }).click();
  await page.getByRole('heading', { name: 'Wachtwoord vergeten' }).waitFor();
  await checkA11y(page, 'forgot password');
  const before = ctx.sink.messages.length;
  const ask = async (email) => {
    await page.goto(ctx.server.base + '/forgot-password');
    await page.getByLabel('E-mailadres').fill(email);
    await page.getByRole('button', { name: 'Stuur mij een link' }).click();
    await page.getByText('Als dit adres bij ons bekend is, ontvangt u binnen enkele minuten een e-mail').waitFor();
  };
  await ask('niemand@example.test');
  await ask(wim.email);
  await screenshots(page, '17-forgot-sent');
  const mail = await ctx.sink.waitFor(wim.email, (m) => ctx.sink.messages.indexOf(m) >= before);
  assert.equal(mail.headers.subject, 'Nieuw wachtwoord instellen voor Huisartsenpraktijk De Linde');
  await ask(wim.email); // a second request within a minute sends nothing more…
  await ask(ADMIN.email); // …which shows once a later e-mail has gone out.
  await ctx.sink.waitFor(ADMIN.email, (m) => ctx.sink.messages.indexOf(m) >= before);
  assert.equal(ctx.sink.messages.slice(before).filter((m) => m.headers.to.includes(wim.email)).length, 1);
  assert.equal(ctx.sink.messages.slice(before).filter((m) => m.headers.to.includes('niemand@')).length, 0);

  const link = /<a href="([^"]+)"[^>]*>Nieuw wachtwoord instellen<\/a>/.exec(mail.html)[1];
  await page.goto(link);
  await page.getByRole('heading', { name: 'Nieuw wachtwoord instellen' }).waitFor();
  await checkA11y(page, 'reset password');
  await page.getByLabel(/^Wachtwoord\*?$/).fill('Nieuw-Woordje2');
  await page.getByLabel(/^Wachtwoord bevestigen\*?$/).fill('Nieuw-Woordje2');
  await page.getByRole('button', { name: 'Wachtwoord opslaan' }).click();
  await page.getByText('Je nieuwe wachtwoord is opgeslagen. Op andere apparaten ben je uitgelogd.').waitFor();
  await screenshots(page, '18-reset-done');
  await page.getByRole('link', { name: 'Naar de messenger' }).click();
  await page.getByRole('heading', { name: 'Gesprek met Anna de Vries' }).waitFor();

  // The other session is signed out; a notice was sent; the link was single use.
  await other.goto(ctx.server.base + '/messenger');
  assert.match(other.url(), /\/login$/);
  const notice = await ctx.sink.waitFor(wim.email, (m) => m.headers.subject.includes('is gewijzigd'));
  assert.match(notice.text, /Was jij dit niet\?/);
  const again = await (await ctx.browser.newContext()).newPage();
  await again.goto(link);
  await again.getByText('Deze link is al gebruikt of vervangen door een nieuwere link.').waitFor();
  // The reset ended the wait: the new password works at once.
  assert.equal(await logIn(again, ctx.server.base, wim.email, 'Nieuw-Woordje2'), 303);
});
