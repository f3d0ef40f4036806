// "Accounts": an administrator finds a patient who lost their phone and, after checking who they
// are, signs them out everywhere and resets their second step. Both are told by e-mail; the
// identity tick is checked by the server too; nobody else reaches these pages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { practiceSuite } from '../lib/harness.mjs';
import { checkA11y, screenshots } from '../lib/browser.mjs';
import { setUpPractice, registerPatient, logIn, totp } from '../lib/journey.mjs';

const ctx = practiceSuite();

test('an administrator signs a patient out everywhere and resets their second step', async () => {
  const admin = await ctx.newPage();
  await setUpPractice(admin, ctx.server);
  const piet = { first: 'Piet', last: 'Post', email: 'piet.post@example.test', password: 'Brievenbus-7!' };
  const patient = await registerPatient(ctx.browser, ctx.sink, admin, piet);

  // The patient has an authenticator app.
  await patient.goto(ctx.server.base + '/settings/two-factor');
  await patient.getByLabel('Wachtwoord').fill(piet.password);
  await patient.getByRole('button', { name: 'Ja' }).click();
  const key = (await patient.locator('#totp-key').innerText()).trim();
  await patient.getByLabel('Code uit je app (6 cijfers)').fill(totp(key));
  await patient.getByRole('button', { name: 'Bevestigen' }).click();
  await patient.getByText('Tweefactorauthenticatie staat aan.').waitFor();

  // Nobody but an administrator reaches the accounts pages.
  assert.equal((await patient.goto(ctx.server.base + '/accounts')).status(), 404);

  await admin.getByRole('link', { name: 'Accounts' }).click();
  await admin.getByLabel('Naam of e-mailadres').fill('post');
  await admin.getByRole('button', { name: 'Zoeken' }).click();
  const row = admin.getByRole('row').filter({ hasText: 'piet.post@example.test' });
  await row.getByText('authenticator-app').waitFor();
  await checkA11y(admin, 'accounts search');
  await admin.getByLabel('Naam of e-mailadres').fill('100%_niemand');
  await admin.getByRole('button', { name: 'Zoeken' }).click();
  await admin.getByText('Geen accounts gevonden.').waitFor();
  await admin.getByLabel('Naam of e-mailadres').fill('Piet Post');
  await admin.getByRole('button', { name: 'Zoeken' }).click();
  await admin.getByRole('link', { name: 'Piet Post' }).click();
  await admin.getByRole('heading', { name: 'Piet Post' }).waitFor();
  await admin.getByText('Actieve sessies: 1').waitFor();
  await checkA11y(admin, 'account');
  await screenshots(admin, '35-account');
  const accountUrl = admin.url();

  // Without the identity tick the server refuses too (not only the browser's "required").
  const csrf = await admin.locator('input[name=_csrf]').first().inputValue();
  const unticked = await admin.request.post(accountUrl + '/sign-out-everywhere', { form: { _csrf: csrf }, maxRedirects: 0 });
  assert.equal(unticked.status(), 422);
  assert.match(await unticked.text(), /Vink eerst aan dat je hebt gecontroleerd wie deze persoon is\./);
  assert.equal((await admin.request.post(accountUrl + '/delete-everything', { form: { _csrf: csrf, checked: 'yes' }, maxRedirects: 0 })).status(), 404);
  await patient.goto(ctx.server.base + '/messenger');
  await patient.getByRole('heading', { name: /^Gesprek met/ }).waitFor();

  // Signed out everywhere, told by e-mail.
  const mailsBefore = ctx.sink.messages.length;
  await admin.locator('#checked-sign-out').check();
  await admin.getByRole('button', { name: 'Overal uitloggen' }).click();
  await admin.getByText('Piet Post is overal uitgelogd en krijgt daarover een e-mail.').waitFor();
  await admin.getByText('Actieve sessies: 0').waitFor();
  await patient.goto(ctx.server.base + '/messenger');
  assert.match(patient.url(), /\/login$/);
  const signedOut = await ctx.sink.waitFor(piet.email, (m) => ctx.sink.messages.indexOf(m) >= mailsBefore);
  assert.match(signedOut.headers.subject, /Je bent overal uitgelogd bij Huisartsenpraktijk De Linde/);
  assert.match(signedOut.text, /Heb je hier niet om gevraagd\?/);

  // The second step reset: the app is gone, the next sign-in takes the practice's default for
  // patients (the e-mailed session code) instead of the app's code.
  const beforeReset = ctx.sink.messages.length;
  await admin.locator('#checked-reset').check();
  await admin.getByRole('button', { name: 'Tweede stap terugzetten' }).click();
  await admin.getByText('De tweede stap van Piet Post is teruggezet; Piet Post krijgt daarover een e-mail.').waitFor();
  await admin.getByText('niets ingesteld').waitFor();
  const reset = await ctx.sink.waitFor(piet.email, (m) => ctx.sink.messages.indexOf(m) >= beforeReset);
  assert.match(reset.headers.subject, /Je tweede stap bij Huisartsenpraktijk De Linde is teruggezet/);
  assert.equal(await logIn(patient, ctx.server.base, piet.email, piet.password), 303);
  await patient.getByRole('heading', { name: 'Sessiecode', exact: true }).waitFor();
});
