// The steps of the invitation journey, shared by the Dutch, English, PostgreSQL and keyboard runs.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { checkA11y, eventually, screenshots, DESKTOP } from './browser.mjs';

export const ADMIN = { first: 'Anna', last: 'de Vries', email: 'anna@delinde.test', password: 'Stethoscoop-42!' };
export const PRACTICE = { name: 'Huisartsenpraktijk De Linde', email: 'info@delinde.test' };

/** The code oathtool (an implementation independent of ours) computes for a base32 `key`, at now + `aheadSecs`. */
export const totp = (key, aheadSecs = 0) =>
  execFileSync('oathtool', ['--totp', '-b', key.replace(/\s+/g, ''), `--now=@${Math.floor(Date.now() / 1000) + aheadSecs}`]).toString().trim();

/**
 * Opens the one-time setup link and creates the practice and its administrator. Like every
 * staff member under the practice's default, the administrator then waits on "Tweede stap
 * instellen": nothing else opens before a second step is set up.
 */
export async function createPractice(page, server, { shots = false } = {}) {
  assert.ok(server.setupLink, 'the server printed a setup link');
  await page.goto(server.setupLink);
  await page.getByRole('heading', { name: 'Praktijk instellen' }).waitFor();
  if (shots) await checkA11y(page, 'setup');
  await page.getByLabel('Naam van de praktijk').fill(PRACTICE.name);
  await page.getByLabel('E-mailadres van de praktijk').fill(PRACTICE.email);
  await page.getByLabel('Voornaam').fill(ADMIN.first);
  await page.getByLabel('Achternaam').fill(ADMIN.last);
  await page.getByLabel(/^E-mailadres\*?$/).fill(ADMIN.email);
  await page.getByLabel(/^Wachtwoord\*?$/).fill(ADMIN.password);
  await page.getByLabel(/^Wachtwoord bevestigen\*?$/).fill(ADMIN.password);
  if (shots) await screenshots(page, '01-setup');
  await page.getByRole('button', { name: 'Praktijk aanmaken' }).click();
  await page.getByRole('heading', { name: 'Tweede stap instellen' }).waitFor();
  await page.goto(new URL('/invite', page.url()).toString());
  assert.match(page.url(), /\/enrol$/, 'the new administrator sets up a second step before anything opens');
}

/** On "Tweede stap instellen": sets up the authenticator app; returns its key and backup codes. */
export async function enrolAuthenticator(page) {
  await page.getByRole('link', { name: 'Activeer tweefactorauthenticatie' }).click();
  await page.getByLabel('Wachtwoord').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Volgende' }).click();
  const key = (await page.locator('#totp-key').innerText()).trim();
  await page.getByLabel('Code uit je app (6 cijfers)').fill(totp(key));
  await page.getByRole('button', { name: 'Bevestigen' }).click();
  await page.getByText('Tweefactorauthenticatie staat aan.').waitFor();
  const backupCodes = await page.locator('.backup-codes code').allInnerTexts();
  await page.getByRole('link', { name: 'Klaar' }).click();
  await page.getByRole('heading', { name: 'Gesprekken' }).waitFor();
  return { key, backupCodes };
}

/**
 * Creates the practice, and the administrator sets up the authenticator app as the practice
 * asks. Unless `keepSecondStep`, the administrator then turns the app off again in
 * "Instellingen" (password and a backup code), so the other journeys start from a signed-in
 * administrator without a second factor; the practice's rule for staff stays as it is.
 */
export async function setUpPractice(page, server, { shots = false, keepSecondStep = false } = {}) {
  await createPractice(page, server, { shots });
  const enrolled = await enrolAuthenticator(page);
  if (!keepSecondStep) {
    await page.goto(new URL('/settings', page.url()).toString());
    await page.locator('details.disable-2fa > summary').click();
    await page.locator('#disable-password').fill(ADMIN.password);
    await page.locator('#disable-code').fill(enrolled.backupCodes[0]);
    await page.getByRole('button', { name: 'Tweefactorauthenticatie uitzetten' }).click();
    await page.getByText('Tweefactorauthenticatie staat uit.').first().waitFor();
  }
  await page.goto(new URL('/invite', page.url()).toString());
  await page.getByRole('heading', { name: 'Patiënt uitnodigen' }).waitFor();
  return enrolled;
}

/** Fills "Patiënt uitnodigen" and returns to the invitations page. */
export async function invite(page, p, { shots = false } = {}) {
  await page.getByRole('link', { name: 'Patiënt uitnodigen' }).click();
  if (shots) await checkA11y(page, 'invite');
  await page.getByLabel('Voornaam').fill(p.first);
  await page.getByLabel('Achternaam').fill(p.last);
  await page.getByLabel('E-mailadres').fill(p.email);
  if (p.note) await page.getByLabel('Persoonlijke boodschap (niet verplicht)').fill(p.note);
  if (p.mailLang) await page.getByLabel('Taal van de e-mail').selectOption(p.mailLang);
  if (shots) await screenshots(page, '02-invite');
  await page.getByRole('button', { name: 'Uitnodiging versturen' }).click();
  await page.getByRole('heading', { name: 'Uitnodigingen' }).waitFor();
  // Without a mail server the page says where the invitation waits instead.
  const sent = page.getByText(`De uitnodiging is verstuurd naar ${p.email}.`);
  const waiting = page.getByText(`De uitnodiging voor ${p.email} is niet verstuurd`, { exact: false });
  await sent.or(waiting).first().waitFor();
}

/** The state the invitations page shows for `email`. */
export async function invitationState(page, email) {
  await page.goto(new URL('/invitations', page.url()).toString());
  const row = page.getByRole('row').filter({ hasText: email }).first();
  return (await row.locator('.state').innerText()).trim();
}

/** Waits for the invitation e-mail and checks what every invitation e-mail must carry. */
export async function invitationMail(sink, email, { practice = PRACTICE.name, button = 'Uitnodiging accepteren', after = 0 } = {}) {
  const mail = await sink.waitFor(email, (m) => sink.messages.indexOf(m) >= after);
  assert.match(mail.headers['content-type'], /multipart\/alternative/i, 'text and HTML parts');
  assert.ok(mail.text && mail.html, 'both parts present');
  assert.ok(mail.headers.date, 'Date header');
  assert.match(mail.headers['message-id'] || '', /^<.+@.+>$/, 'Message-ID header');
  assert.ok(mail.headers.from.includes(practice), `From shows the practice's name: ${mail.headers.from}`);
  const href = new RegExp(`<a href="([^"]+)"[^>]*>${button}</a>`).exec(mail.html);
  assert.ok(href, `the HTML part has the green button "${button}"`);
  const link = href[1].replace(/&amp;/g, '&');
  assert.ok(mail.text.includes(link), 'the text part carries the same link');
  return { mail, link };
}

/** Types a password one key at a time, checking that the rules tick as they are met. */
export async function typePasswordWatchingRules(page, password) {
  const field = page.getByLabel(/^(Wachtwoord|Password)\*?$/);
  await field.fill('');
  const rules = page.locator('#pw-rules li');
  assert.equal(await rules.count(), 5);
  assert.equal(await page.locator('#pw-rules li.met').count(), 0, 'no rule met before typing');
  await field.pressSequentially(password.slice(0, 1));
  const afterFirst = await page.locator('#pw-rules li.met').count();
  await field.pressSequentially(password.slice(1));
  await eventually(async () => (await page.locator('#pw-rules li.met').count()) === 5, 'all five rules ticked');
  assert.ok(afterFirst < 5, 'rules tick one by one');
  await eventually(async () => /5 (van de|of the) 5/.test(await page.locator('#pw-status').innerText()), 'screen-reader status says 5 of 5');
}

/** The whole journey in Dutch: setup, invite, e-mail, landing, registration, messenger. */
export async function dutchJourney({ browser, server, sink, shots = true }) {
  const staffCtx = await browser.newContext({ viewport: DESKTOP });
  const staff = await staffCtx.newPage();
  await setUpPractice(staff, server, { shots });
  const patient = { first: 'Jan', last: 'Janssen', email: 'jan@example.test', note: 'Hallo Jan, via dit gesprek kunt u mij veilig berichten sturen.' };
  await invite(staff, patient, { shots });
  assert.equal(await invitationState(staff, patient.email), 'verstuurd');
  await checkA11y(staff, 'invitations');
  if (shots) await screenshots(staff, '03-invitations');

  const { mail, link } = await invitationMail(sink, patient.email);
  assert.ok(mail.text.startsWith('Hallo Jan,'), 'greets the patient by first name');
  assert.ok(!mail.text.includes(patient.note), 'the personal note is not in the e-mail');

  const ctx = await browser.newContext({ viewport: DESKTOP });
  const page = await ctx.newPage();
  await page.goto(link);
  await page.getByRole('heading', { name: 'Registratieproces' }).waitFor();
  await page.getByRole('heading', { name: 'Hallo Jan,' }).waitFor();
  await page.getByText('Welkom! Je bent slechts een paar stappen verwijderd van je beveiligde account voor berichten aan de praktijk.').waitFor();
  await page.getByRole('link', { name: 'Ik heb al een account' }).waitFor();
  await page.getByRole('link', { name: 'uitnodiging dan ook afwijzen' }).waitFor();
  await page.getByText('Change language').waitFor();
  await checkA11y(page, 'landing');
  if (shots) await screenshots(page, '04-landing');
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
  if (shots) await screenshots(page, '05-details');
  await page.getByRole('button', { name: 'Volgende' }).click();

  await page.getByRole('heading', { name: 'Samenvatting' }).waitFor();
  await page.getByText('Controleer even of alles correct is ingevuld:').waitFor();
  assert.match(await page.locator('dl.summary').innerText(), /Jan[\s\S]*Janssen[\s\S]*jan@example\.test/);
  await checkA11y(page, 'summary');
  await page.getByRole('button', { name: 'Volgende' }).click();
  await page.getByText('Zet het vinkje om akkoord te gaan').waitFor();
  if (shots) await screenshots(page, '06-summary-refused');
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
  await page.getByText(/De webversie van de messenger gaat over \d seconden? vanzelf voor je open\./).waitFor();
  // The phone hint names the address to open there.
  await page.locator('strong.address').getByText(server.base).waitFor();
  await page.getByRole('link', { name: 'Open de messenger nu' }).waitFor();
  await checkA11y(page, 'registration done');
  if (shots) await screenshots(page, '07-done');
  // The countdown opens the messenger by itself.
  await page.waitForURL(/\/messenger\//, { timeout: 20000 });
  await page.getByRole('heading', { name: 'Gesprek met Anna de Vries' }).waitFor();
  await page.getByText(patient.note).waitFor();
  await checkA11y(page, 'messenger (patient)');
  if (shots) await screenshots(page, '08-messenger-patient');
  await page.getByRole('textbox', { name: 'Bericht' }).fill('Dank u wel, dokter!');
  await page.getByRole('button', { name: 'Stuur' }).click();
  await page.locator('.message.mine').filter({ hasText: 'Dank u wel, dokter!' }).waitFor();

  // The provider sees the conversation, and the invitation as accepted.
  assert.equal(await invitationState(staff, patient.email), 'geaccepteerd');
  await staff.getByRole('link', { name: 'Gesprekken' }).click();
  await staff.getByRole('heading', { name: 'Gesprek met Jan Janssen' }).waitFor();
  await staff.getByText('Dank u wel, dokter!').waitFor();
  await checkA11y(staff, 'messenger (provider)');
  if (shots) await screenshots(staff, '09-messenger-provider');

  // The link is used now.
  const again = await ctx.newPage();
  const res = await again.goto(link);
  assert.equal(res.status(), 410);
  await again.getByText('Deze uitnodiging is al gebruikt, afgewezen of ingetrokken.').waitFor();
  await checkA11y(again, 'used link');
  await ctx.close();
  await staffCtx.close();
  await eventually(async () => sink.count(patient.email) === 1, 'exactly one invitation e-mail');
}

/** Invites and registers a patient the quick way; returns the patient's page (signed in). */
export async function registerPatient(browser, sink, staff, p) {
  const after = sink.messages.length;
  await invite(staff, p);
  const { link } = await invitationMail(sink, p.email, { after });
  const page = await (await browser.newContext({ viewport: DESKTOP })).newPage();
  await page.goto(link + '/register');
  await page.getByLabel(/^Wachtwoord\*?$/).fill(p.password);
  await page.getByLabel(/^Wachtwoord bevestigen\*?$/).fill(p.password);
  await page.getByRole('button', { name: 'Volgende' }).click();
  await page.getByLabel(/Ik ga akkoord met de/).check();
  await page.getByRole('button', { name: 'Volgende' }).click();
  await page.getByRole('link', { name: 'Open de messenger nu' }).click();
  await page.getByRole('heading', { name: /^Gesprek met/ }).waitFor();
  return page;
}

/** As administrator, sets what staff do after their password ('none', 'session_code', 'two_factor'). */
export async function setStaffSecondStep(page, base, value) {
  await page.goto(base + '/practice');
  await page.getByLabel('Tweede stap voor medewerkers na het wachtwoord').selectOption(value);
  await page.getByRole('button', { name: 'Opslaan' }).click();
  await page.getByText('De praktijkgegevens zijn opgeslagen.').waitFor();
}

/** Submits the login form and returns the response status. */
export async function logIn(page, base, login, password) {
  await page.goto(base + '/login');
  await page.getByLabel('E-mailadres of gebruikersnaam').fill(login);
  await page.getByLabel('Wachtwoord').fill(password);
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/login')),
    page.getByRole('button', { name: 'Inloggen', exact: true }).click(),
  ]);
  return res.status();
}

/** The session code from the newest code e-mail to `email` that arrived after message `after`. */
export async function sessionCode(sink, email, after) {
  const mail = await sink.waitFor(email, (m) => sink.messages.indexOf(m) >= after && /sessiecode|session code/i.test(m.headers.subject));
  const code = /\b(\d{6})\b/.exec(mail.text);
  if (!code) throw new Error('no code in the e-mail');
  return { code: code[1], mail };
}

/** Asks "Wachtwoord vergeten" for a link for `email`; returns the link from the e-mail that arrives. */
export async function passwordResetLink(page, base, sink, email) {
  const after = sink.messages.length;
  await page.goto(base + '/forgot-password');
  await page.getByLabel('E-mailadres').fill(email);
  await page.getByRole('button', { name: 'Stuur mij een link' }).click();
  const mail = await sink.waitFor(email, (m) => sink.messages.indexOf(m) >= after && /wachtwoord/i.test(m.headers.subject));
  return /(https?:\/\/\S+\/reset-password\/[A-Za-z0-9_-]+)/.exec(mail.text)[1];
}

/** Waits until the messenger on `page` has its live connection (the WebSocket) open. */
export async function liveOpen(page) {
  await page.locator('#messenger[data-live="open"]').waitFor();
}
