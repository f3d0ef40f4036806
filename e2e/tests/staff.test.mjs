// Administrators manage staff accounts: a new provider gets an e-mail with a single-use link to
// set a password, signs in and can invite patients; a deactivated account cannot sign in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { practiceSuite } from '../lib/harness.mjs';
import { checkA11y, screenshots } from '../lib/browser.mjs';
import { setUpPractice, invite, totp } from '../lib/journey.mjs';

const ctx = practiceSuite();

test('an administrator adds a provider, who sets a password and invites a patient', async () => {
  const admin = await ctx.newPage();
  await setUpPractice(admin, ctx.server);
  await admin.getByRole('link', { name: 'Medewerkers' }).click();
  await admin.getByRole('heading', { name: 'Medewerkers', level: 1 }).waitFor();
  await admin.getByLabel(/^Voornaam/).fill('Bram');
  await admin.getByLabel(/^Achternaam/).fill('Bakker');
  await admin.getByLabel(/^E-mailadres/).fill('bram@delinde.test');
  await admin.getByLabel('Rol').selectOption('provider');
  await admin.getByRole('button', { name: 'Medewerker toevoegen' }).click();
  await admin.getByText('Bram Bakker is toegevoegd en krijgt een e-mail om een wachtwoord in te stellen.').waitFor();
  await checkA11y(admin, 'staff');
  await screenshots(admin, '14-staff');

  const mail = await ctx.sink.waitFor('bram@delinde.test');
  assert.equal(mail.headers.subject, 'Stel je wachtwoord in voor Huisartsenpraktijk De Linde');
  const link = /<a href="([^"]+)"[^>]*>Wachtwoord instellen<\/a>/.exec(mail.html)[1];
  const bram = await ctx.newPage();
  await bram.goto(link);
  await bram.getByRole('heading', { name: 'Wachtwoord instellen' }).waitFor();
  await checkA11y(bram, 'set password');
  await bram.getByLabel(/^Wachtwoord\*?$/).fill('Huisbezoek-2026');
  await bram.getByLabel(/^Wachtwoord bevestigen\*?$/).fill('Huisbezoek-2026');
  await bram.getByRole('button', { name: 'Wachtwoord opslaan' }).click();
  // The practice asks staff for two-factor (the default): the link alone opens nothing else.
  await bram.getByRole('heading', { name: 'Tweede stap instellen' }).waitFor();
  await bram.getByRole('link', { name: 'Activeer tweefactorauthenticatie' }).click();
  // Chosen already: the page asks for the password, not again whether to turn it on.
  await bram.getByText('Vul eerst nog een keer je wachtwoord in. Daarna koppel je de authenticator-app.').waitFor();
  assert.equal(await bram.getByText('Wil je tweefactorauthenticatie activeren?').count(), 0);
  await bram.getByLabel('Wachtwoord').fill('Huisbezoek-2026');
  await bram.getByRole('button', { name: 'Volgende' }).click();
  const key = (await bram.locator('#totp-key').innerText()).replace(/\s+/g, '');
  await bram.getByLabel('Code uit je app (6 cijfers)').fill(totp(key));
  await bram.getByRole('button', { name: 'Bevestigen' }).click();
  await bram.getByText('Tweefactorauthenticatie staat aan.').waitFor();
  await bram.goto(ctx.server.base + '/messenger');
  await bram.getByRole('heading', { name: 'Gesprekken' }).waitFor();
  // The link was single use.
  const again = await (await ctx.browser.newContext()).newPage();
  await again.goto(link);
  await again.getByText('Deze link is al gebruikt of vervangen door een nieuwere link.').waitFor();
  // A provider invites, but does not see the administrators' pages.
  await invite(bram, { first: 'Lies', last: 'Lammers', email: 'lies@example.test' });
  assert.equal(await bram.getByRole('link', { name: 'Medewerkers' }).count(), 0);
  assert.equal((await bram.goto(ctx.server.base + '/staff')).status(), 404);

  // Deactivated: signed out, and the login fails.
  await admin.goto(ctx.server.base + '/staff');
  await admin.getByRole('button', { name: 'Deactiveren: Bram Bakker' }).click();
  await admin.getByRole('row').filter({ hasText: 'Bram Bakker' }).getByText('gedeactiveerd').waitFor();
  const res = await bram.goto(ctx.server.base + '/invitations');
  assert.match(res.url(), /\/login$/);
  await bram.getByLabel('E-mailadres of gebruikersnaam').fill('bram@delinde.test');
  await bram.getByLabel('Wachtwoord').fill('Huisbezoek-2026');
  await bram.getByRole('button', { name: 'Inloggen', exact: true }).click();
  await bram.getByText('Het e-mailadres, de gebruikersnaam of het wachtwoord klopt niet.').waitFor();
  await checkA11y(bram, 'login with an error');
  await screenshots(bram, '15-login-error');
});
