// "Tweefactorauthenticatie" with codes made by an independent implementation (Debian's
// oathtool): enabling with the password and a first code, backup codes shown once, the login's
// second step, replayed codes refused, a backup code working once, turning it off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { practiceSuite } from '../lib/harness.mjs';
import { startServer } from '../lib/server.mjs';
import { checkA11y, screenshots } from '../lib/browser.mjs';
import { ADMIN, setUpPractice, createPractice, logIn, totp, passwordResetLink } from '../lib/journey.mjs';

const ctx = practiceSuite();

async function secondStep(page, code) {
  await page.getByRole('heading', { name: 'Tweefactorauthenticatie' }).waitFor();
  await page.getByLabel('Code uit je app of back-upcode').fill(code);
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/two-factor')),
    page.getByRole('button', { name: 'Doorgaan' }).click(),
  ]);
  return res.status();
}

test('two-factor authentication with an authenticator app', async () => {
  const page = await ctx.newPage();
  await setUpPractice(page, ctx.server);
  await page.getByRole('link', { name: 'Instellingen' }).click();
  await page.getByRole('link', { name: 'Activeer tweefactorauthenticatie' }).click();
  await page.getByText('Wil je tweefactorauthenticatie activeren?').waitFor();
  await page.getByLabel('Wachtwoord').fill('niet-het-wachtwoord');
  await page.getByRole('button', { name: 'Ja' }).click();
  await page.getByText('Dit wachtwoord klopt niet.').waitFor();
  await page.getByLabel('Wachtwoord').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Ja' }).click();
  await page.getByText('Scan deze QR-code met je authenticator-app.').waitFor();
  await page.getByRole('img', { name: 'QR-code voor je authenticator-app' }).waitFor();
  const key = (await page.locator('#totp-key').innerText()).trim();
  assert.match(key, /^[A-Z2-7 ]{32,}$/);
  await checkA11y(page, 'two-factor setup');
  await screenshots(page, '21-two-factor-scan');
  await page.getByLabel('Code uit je app (6 cijfers)').fill(totp(key) === '000000' ? '111111' : '000000');
  await page.getByRole('button', { name: 'Bevestigen' }).click();
  await page.getByText('Deze code klopt niet.').waitFor();
  await page.getByLabel('Code uit je app (6 cijfers)').fill(totp(key));
  await page.getByRole('button', { name: 'Bevestigen' }).click();
  await page.getByText('Tweefactorauthenticatie staat aan.').waitFor();
  const codes = await page.locator('.backup-codes code').allInnerTexts();
  assert.equal(codes.length, 10);
  assert.equal(new Set(codes).size, 10);
  await checkA11y(page, 'backup codes');
  await screenshots(page, '22-two-factor-backup');
  await page.getByRole('link', { name: 'Klaar' }).click();
  await page.getByText('Tweefactorauthenticatie staat aan. Je hebt nog 10 ongebruikte back-upcodes.').waitFor();

  // The login now asks for a code; going straight to the messenger does not skip it.
  const login = await ctx.newPage();
  assert.equal(await logIn(login, ctx.server.base, ADMIN.email, ADMIN.password), 303);
  await login.getByRole('heading', { name: 'Tweefactorauthenticatie' }).waitFor();
  await checkA11y(login, 'two-factor login');
  await login.goto(ctx.server.base + '/messenger');
  assert.match(login.url(), /\/login$/);
  assert.equal(await logIn(login, ctx.server.base, ADMIN.email, ADMIN.password), 303);
  const next = totp(key, 30);
  assert.equal(await secondStep(login, next), 303);
  await login.getByRole('heading', { name: 'Gesprekken' }).waitFor();

  // The same code again is a replay.
  const replay = await ctx.newPage();
  assert.equal(await logIn(replay, ctx.server.base, ADMIN.email, ADMIN.password), 303);
  assert.equal(await secondStep(replay, next), 422);
  await replay.getByText('Deze code klopt niet.').waitFor();

  // A backup code works once, typed in capitals without its dash.
  assert.equal(await secondStep(replay, codes[0].replace('-', '').toUpperCase()), 303);
  const again = await ctx.newPage();
  assert.equal(await logIn(again, ctx.server.base, ADMIN.email, ADMIN.password), 303);
  assert.equal(await secondStep(again, codes[0]), 422);

  // In English, with the keyboard alone: Tab, type, Enter.
  const en = await ctx.newPage();
  await en.goto(ctx.server.base + '/lang/en?back=/login');
  await en.getByRole('heading', { name: 'Log in' }).waitFor();
  const tabTo = async (id) => {
    for (let i = 0; i < 40 && (await en.evaluate(() => document.activeElement?.id)) !== id; i++) await en.keyboard.press('Tab');
    assert.equal(await en.evaluate(() => document.activeElement?.id), id);
  };
  await tabTo('login');
  await en.keyboard.type(ADMIN.email);
  await en.keyboard.press('Tab');
  await en.keyboard.type(ADMIN.password);
  await en.keyboard.press('Enter');
  await en.getByRole('heading', { name: 'Two-factor authentication' }).waitFor();
  await en.getByText('No access to your app? Then enter one of your backup codes.').waitFor();
  await checkA11y(en, 'two-factor login (en)');
  await tabTo('code');
  await en.keyboard.type(codes[2]);
  await en.keyboard.press('Enter');
  await en.getByRole('heading', { name: 'Conversations' }).waitFor();

  // A reset link proves the mailbox, not the app: after the new password the code is asked.
  const resetter = await ctx.newPage();
  await resetter.goto(await passwordResetLink(resetter, ctx.server.base, ctx.sink, ADMIN.email));
  await resetter.getByLabel(/^Wachtwoord\*?$/).fill(ADMIN.password);
  await resetter.getByLabel(/^Wachtwoord bevestigen\*?$/).fill(ADMIN.password);
  await resetter.getByRole('button', { name: 'Wachtwoord opslaan' }).click();
  await resetter.getByRole('heading', { name: 'Tweefactorauthenticatie' }).waitFor();
  await resetter.goto(ctx.server.base + '/messenger');
  assert.match(resetter.url(), /\/login$/, 'nothing opens before the code');
  await resetter.goto(ctx.server.base + '/two-factor');
  assert.equal(await secondStep(resetter, codes[3]), 303);
  await resetter.getByRole('heading', { name: 'Gesprekken' }).waitFor();

  // Turning it off needs the password and a code (the reset signed the first browser out).
  const page2 = resetter;
  await page2.goto(ctx.server.base + '/settings');
  await page2.locator('details.disable-2fa > summary').click();
  await page2.locator('#disable-password').fill(ADMIN.password);
  await page2.locator('#disable-code').fill(codes[1]);
  await page2.getByRole('button', { name: 'Tweefactorauthenticatie uitzetten' }).click();
  await page2.getByText('Tweefactorauthenticatie staat uit.').first().waitFor();
  // Without it, the practice's default for staff asks to set a second step up again.
  const plain = await ctx.newPage();
  assert.equal(await logIn(plain, ctx.server.base, ADMIN.email, ADMIN.password), 303);
  await plain.getByRole('heading', { name: 'Tweede stap instellen' }).waitFor();
});

test('staff set up a second step at their first sign-in (the practice default), the new administrator too', async () => {
  const srv = await startServer({ smtpUrl: ctx.sink.url });
  try {
    // The administrator made through the setup link is no exception.
    const page = await ctx.newPage();
    await createPractice(page, srv);
    await page.getByText('De praktijk vraagt om bij het inloggen naast je wachtwoord een tweede stap te gebruiken.').waitFor();
    await checkA11y(page, 'enrol');
    await screenshots(page, '34-enrol');
    // Nothing else opens before it is set up.
    for (const path of ['/messenger', '/invitations', '/staff', '/settings', '/practice']) {
      await page.goto(srv.base + path);
      assert.match(page.url(), /\/enrol$/, `${path} waits for the second step`);
    }
    await page.getByRole('link', { name: 'Activeer tweefactorauthenticatie' }).click();
    // While the sign-in waits for it, no menu leads anywhere but back here.
    assert.equal(await page.locator('nav.side').count(), 0, 'no menu before the second step is set up');
    await page.getByLabel('Wachtwoord').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Volgende' }).click();
    assert.equal(await page.locator('nav.side').count(), 0);
    const key = (await page.locator('#totp-key').innerText()).trim();
    await page.getByLabel('Code uit je app (6 cijfers)').fill(totp(key));
    await page.getByRole('button', { name: 'Bevestigen' }).click();
    await page.getByText('Tweefactorauthenticatie staat aan.').waitFor();
    // "Klaar" goes on to the messenger, as the set-up page promised.
    await page.getByRole('link', { name: 'Klaar' }).click();
    await page.getByRole('heading', { name: 'Gesprekken' }).waitFor();
    await page.goto(srv.base + '/practice');
    assert.equal(await page.getByLabel('Tweede stap voor medewerkers na het wachtwoord').inputValue(), 'two_factor');
    // From now on the login asks for the code.
    const next = await ctx.newPage();
    assert.equal(await logIn(next, srv.base, ADMIN.email, ADMIN.password), 303);
    await next.getByRole('heading', { name: 'Tweefactorauthenticatie' }).waitFor();
  } finally {
    await srv.stop();
  }
});
