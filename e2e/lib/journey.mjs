// The steps of the invitation journey, shared by the Dutch, English, PostgreSQL and keyboard runs.
import assert from 'node:assert/strict';
import { checkA11y, eventually, screenshots } from './browser.mjs';

export const ADMIN = { first: 'Anna', last: 'de Vries', email: 'anna@delinde.test', password: 'Stethoscoop-42!' };
export const PRACTICE = { name: 'Huisartsenpraktijk De Linde', email: 'info@delinde.test' };

/** Opens the one-time setup link and creates the practice and its administrator. */
export async function setUpPractice(page, server, { shots = false } = {}) {
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
  await page.getByRole('heading', { name: 'Patiënt uitnodigen' }).waitFor();
  await page.getByText('De praktijk is aangemaakt').waitFor();
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
  await page.getByText(`De uitnodiging is verstuurd naar ${p.email}.`).waitFor();
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
