// The first journey end to end, in Dutch, on SQLite, with the e-mail read from a real SMTP
// server: setup → invite → e-mail → landing → registration → messenger; then the provider's view
// and the used link.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSmtpSink } from '../lib/smtp-sink.mjs';
import { startServer } from '../lib/server.mjs';
import { launch, checkA11y, screenshots, eventually, DESKTOP } from '../lib/browser.mjs';
import { setUpPractice, invite, invitationMail, invitationState, typePasswordWatchingRules } from '../lib/journey.mjs';

let sink, server, browser;
before(async () => {
  sink = await startSmtpSink();
  server = await startServer({ smtpUrl: sink.url });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
  await sink?.close();
});

test('invitation → registration → messenger, in Dutch', async () => {
  const staffCtx = await browser.newContext({ viewport: DESKTOP });
  const staff = await staffCtx.newPage();
  await setUpPractice(staff, server, { shots: true });
  const patient = { first: 'Jan', last: 'Janssen', email: 'jan@example.test', note: 'Hallo Jan, via dit gesprek kunt u mij veilig berichten sturen.' };
  await invite(staff, patient, { shots: true });
  assert.equal(await invitationState(staff, patient.email), 'verstuurd');
  await checkA11y(staff, 'invitations');
  await screenshots(staff, '03-invitations');

  const { mail, link } = await invitationMail(sink, patient.email);
  assert.ok(mail.text.startsWith('Hallo Jan,'), 'greets the patient by first name');
  assert.ok(!mail.text.includes(patient.note), 'the personal note is not in the e-mail');

  const ctx = await browser.newContext({ viewport: DESKTOP });
  const page = await ctx.newPage();
  await page.goto(link);
  await page.getByRole('heading', { name: 'Registratieproces' }).waitFor();
  await page.getByRole('heading', { name: 'Hallo Jan,' }).waitFor();
  await page.getByText('Welkom! Je bent slechts een paar stappen verwijderd van een veilig messaging account.').waitFor();
  await page.getByRole('link', { name: 'Ik heb al een account' }).waitFor();
  await page.getByRole('link', { name: 'uitnodiging dan ook afwijzen' }).waitFor();
  await page.getByText('Change language').waitFor();
  await checkA11y(page, 'landing');
  await screenshots(page, '04-landing');
  assert.equal(await invitationState(staff, patient.email), 'geopend');

  await page.getByRole('link', { name: 'Maak je account aan' }).click();
  await page.getByRole('heading', { name: 'Persoonsgegevens', level: 2 }).waitFor();
  const steps = await page.locator('ol.steps').innerText();
  assert.match(steps, /Persoonsgegevens[\s\S]*Samenvatting[\s\S]*Registratie voltooid/);
  assert.equal(await page.getByLabel('Voornaam').inputValue(), 'Jan');
  assert.equal(await page.getByLabel('Achternaam').inputValue(), 'Janssen');
  assert.equal(await page.getByLabel('E-mailadres').inputValue(), patient.email);
  assert.equal(await page.getByLabel('E-mailadres').getAttribute('readonly'), '');
  await typePasswordWatchingRules(page, 'Woordje1!');
  await page.getByLabel(/^Wachtwoord bevestigen\*?$/).fill('Woordje1!');
  await checkA11y(page, 'registration details');
  await screenshots(page, '05-details');
  await page.getByRole('button', { name: 'Volgende' }).click();

  await page.getByRole('heading', { name: 'Samenvatting' }).waitFor();
  await page.getByText('Controleer even of alles correct is ingevuld:').waitFor();
  assert.match(await page.locator('dl.summary').innerText(), /Jan[\s\S]*Janssen[\s\S]*jan@example\.test/);
  await checkA11y(page, 'summary');
  await page.getByRole('button', { name: 'Volgende' }).click();
  await page.getByText('Zet het vinkje om akkoord te gaan').waitFor();
  await screenshots(page, '06-summary-refused');
  await page.getByRole('button', { name: 'Vorige' }).click();
  await page.getByRole('heading', { name: 'Persoonsgegevens', level: 2 }).waitFor();
  assert.equal(await page.getByLabel('Voornaam').inputValue(), 'Jan', '"Vorige" keeps what was entered');
  await page.getByText('Je wachtwoord is bewaard').waitFor();
  await page.getByRole('button', { name: 'Volgende' }).click();
  await page.getByRole('heading', { name: 'Samenvatting' }).waitFor();
  const terms = page.getByRole('link', { name: 'algemene voorwaarden' });
  assert.equal(await terms.getAttribute('href'), '/terms');
  await page.getByLabel(/Ik ga akkoord met de/).check();
  await page.getByRole('button', { name: 'Volgende' }).click();

  await page.getByRole('heading', { name: 'Bedankt voor je registratie.' }).waitFor();
  await page.getByText('Je kunt nu starten met het veilig uitwisselen van berichten.').waitFor();
  await page.getByText(/De webversie van de messenger zal automatisch voor je geopend worden in \d\./).waitFor();
  await page.getByRole('link', { name: 'Open de messenger nu' }).waitFor();
  await checkA11y(page, 'registration done');
  await screenshots(page, '07-done');
  // The countdown opens the messenger by itself.
  await page.waitForURL(/\/messenger\//, { timeout: 20000 });
  await page.getByRole('heading', { name: 'Gesprek met Anna de Vries' }).waitFor();
  await page.getByText(patient.note).waitFor();
  await checkA11y(page, 'messenger (patient)');
  await screenshots(page, '08-messenger-patient');
  await page.getByRole('textbox', { name: 'Bericht' }).fill('Dank u wel, dokter!');
  await page.getByRole('button', { name: 'Stuur' }).click();
  await page.locator('.message.mine').filter({ hasText: 'Dank u wel, dokter!' }).waitFor();

  // The provider sees the conversation, and the invitation as accepted.
  assert.equal(await invitationState(staff, patient.email), 'geaccepteerd');
  await staff.getByRole('link', { name: 'Gesprekken' }).click();
  await staff.getByRole('heading', { name: 'Gesprek met Jan Janssen' }).waitFor();
  await staff.getByText('Dank u wel, dokter!').waitFor();
  await checkA11y(staff, 'messenger (provider)');
  await screenshots(staff, '09-messenger-provider');

  // The link is used now.
  const again = await ctx.newPage();
  const res = await again.goto(link);
  assert.equal(res.status(), 410);
  await again.getByText('Deze uitnodiging is al gebruikt, afgewezen of ingetrokken.').waitFor();
  await checkA11y(again, 'used link');
  await ctx.close();
  await staffCtx.close();
  await eventually(async () => sink.count(patient.email) === 1, 'exactly one invitation e-mail');
});
