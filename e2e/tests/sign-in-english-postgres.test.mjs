// The sign-in flows of issue #6 once more, in English and on PostgreSQL: "Forgot your
// password?" and the session code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { practiceSuite } from '../lib/harness.mjs';
import { checkA11y } from '../lib/browser.mjs';
import { registerPatient, sessionCode } from '../lib/journey.mjs';

const ctx = practiceSuite({ postgres: true, practice: true });

test('forgot password and the session code, in English, on PostgreSQL', async () => {
  const p = { first: 'Emma', last: 'English', email: 'emma@example.test', password: 'Woordje1!' };
  await registerPatient(ctx.browser, ctx.sink, ctx.staff, p);
  const page = await ctx.newPage();
  await page.goto(ctx.server.base + '/login');
  await page.getByText('Change language').click();
  await page.getByRole('link', { name: 'English' }).click();
  await page.getByRole('heading', { name: 'Log in' }).waitFor();

  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await page.getByLabel('E-mail address').fill(p.email);
  let before = ctx.sink.messages.length;
  await page.getByRole('button', { name: 'Send me a link' }).click();
  await page.getByText('If we know this address, you will receive an e-mail within a few minutes').waitFor();
  const mail = await ctx.sink.waitFor(p.email, (m) => ctx.sink.messages.indexOf(m) >= before && m.headers.subject.startsWith('Set a new password'));
  const link = /<a href="([^"]+)"[^>]*>Set a new password<\/a>/.exec(mail.html)[1];
  await page.goto(link);
  await page.getByRole('heading', { name: 'Set a new password' }).waitFor();
  await checkA11y(page, 'reset password (en)');
  await page.getByLabel(/^Password\*?$/).fill('Fietsband-Lantaarn7');
  await page.getByLabel(/^Confirm password\*?$/).fill('Fietsband-Lantaarn7');
  await page.getByRole('button', { name: 'Save password' }).click();
  await page.getByText('Your new password has been saved. You have been signed out on other devices.').waitFor();
  const notice = await ctx.sink.waitFor(p.email, (m) => m.headers.subject.includes('has been changed'));
  assert.match(notice.text, /Was this not you\?/);

  await page.getByRole('button', { name: 'Log out' }).click();
  before = ctx.sink.messages.length;
  await page.getByLabel('E-mail address or username').fill(p.email);
  await page.getByLabel('Password').fill('Fietsband-Lantaarn7');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Session code', exact: true }).waitFor();
  await page.getByText('Enter your session code below; you have received it at your e-mail address.').waitFor();
  await checkA11y(page, 'session code (en)');
  const { code, mail: codeMail } = await sessionCode(ctx.sink, p.email, before);
  assert.match(codeMail.headers.subject, /^Your session code for Huisartsenpraktijk De Linde, requested at \d\d:\d\d$/);
  await page.getByLabel('Session code (6 digits)').fill(`${code.slice(0, 2)}-${code.slice(2, 4)}-${code.slice(4)}`);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'Conversation with Anna de Vries' }).waitFor();
});
