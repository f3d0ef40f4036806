// The account-security pages in English on PostgreSQL, checked with axe-core: the authenticator
// app's set-up, passkeys, the second step offering both, the app lock and its lock screen, and
// the administrator's Accounts page. (The Dutch runs on SQLite are in their own files.)
import { test } from 'node:test';
import { practiceSuite } from '../lib/harness.mjs';
import { checkA11y, screenshots, virtualAuthenticator, contextWithoutAutofill } from '../lib/browser.mjs';
import { ADMIN, setUpPractice, totp } from '../lib/journey.mjs';

const ctx = practiceSuite({ postgres: true });

test('two-factor, passkeys, the app lock and Accounts in English on PostgreSQL', async () => {
  const page = await (await contextWithoutAutofill(ctx.browser)).newPage();
  await virtualAuthenticator(page);
  await setUpPractice(page, ctx.server);
  await page.goto(ctx.server.base + '/lang/en?back=/settings');
  await page.getByRole('heading', { name: 'Settings', exact: true }).waitFor();

  // The authenticator app.
  await page.getByRole('link', { name: 'Activate two-factor authentication' }).click();
  await page.getByText('Do you want to activate two-factor authentication?').waitFor();
  await checkA11y(page, 'two-factor question (en)');
  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Yes' }).click();
  const key = (await page.locator('#totp-key').innerText()).trim();
  await checkA11y(page, 'two-factor scan (en)');
  await page.getByLabel('Code from your app (6 digits)').fill(totp(key));
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.getByText('Two-factor authentication is on.').waitFor();
  await checkA11y(page, 'backup codes (en)');
  await page.getByRole('link', { name: 'Done' }).click();

  // A passkey.
  await page.getByText('Add a passkey').first().click();
  await page.getByLabel('Name of the passkey').fill('My laptop');
  await page.locator('#passkey-password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await page.getByText('The passkey has been added. From now on you can sign in with it.').waitFor();

  // The app lock, with the fingerprint.
  await page.getByText('Turn the lock on').first().click();
  await page.getByLabel('This is my own device; nobody else uses it').check();
  await page.getByLabel('Access code (4 digits)').fill('0000');
  await page.getByLabel('Access code once more').fill('0000');
  await page.getByRole('button', { name: 'Turn the lock on' }).click();
  await page.getByRole('alert').getByText('Make sure it is not too easy to guess').waitFor();
  await page.getByText('Turn the lock on').first().click();
  await page.getByLabel('This is my own device; nobody else uses it').check();
  await page.getByLabel('Access code (4 digits)').fill('5826');
  await page.getByLabel('Access code once more').fill('5826');
  await page.getByLabel('Also unlock with fingerprint or face (with your passkey)').check();
  await page.getByRole('button', { name: 'Turn the lock on' }).click();
  await page.getByText('The app lock is on for this device.').first().waitFor();
  await checkA11y(page, 'settings (en)');
  await screenshots(page, '38-settings-en');
  await page.getByRole('button', { name: 'Lock now' }).click();
  await page.getByRole('heading', { name: 'Locked' }).waitFor();
  await checkA11y(page, 'lock screen (en)');
  await page.getByLabel('Access code', { exact: true }).fill('5825');
  await page.getByRole('button', { name: 'Unlock', exact: true }).click();
  await page.getByText('This access code is not right. You can try 4 more times; then you are signed out.').waitFor();
  await page.getByRole('button', { name: 'Unlock with fingerprint or face' }).click();
  await page.getByRole('heading', { name: 'Conversations' }).waitFor();

  // The second step offers both the passkey and the app's code.
  const other = await ctx.newPage();
  await other.goto(ctx.server.base + '/lang/en?back=/login');
  await other.getByLabel('E-mail address or username').fill(ADMIN.email);
  await other.getByLabel('Password').fill(ADMIN.password);
  await other.getByRole('button', { name: 'Log in', exact: true }).click();
  await other.getByRole('heading', { name: 'Two-factor authentication' }).waitFor();
  await other.getByText('Confirm with your passkey that it is you.').waitFor();
  await checkA11y(other, 'second step with passkey and code (en)');
  await screenshots(other, '39-second-step-both-en');
  await other.getByLabel('Code from your app or backup code').fill(totp(key, 30));
  await other.getByRole('button', { name: 'Continue' }).click();
  await other.getByRole('heading', { name: 'Conversations' }).waitFor();

  // Accounts.
  await other.getByRole('link', { name: 'Accounts' }).click();
  await other.getByLabel('Name or e-mail address').fill('vries');
  await other.getByRole('button', { name: 'Search' }).click();
  await other.getByRole('row').filter({ hasText: ADMIN.email }).getByText('authenticator app, 1 passkey(s)').waitFor();
  await checkA11y(other, 'accounts (en)');
});
