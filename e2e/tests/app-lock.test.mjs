// "Toegangscode vergrendeling" (seeds 001, 002): a PIN on one's own device, refusing easy ones;
// the lock screen shows nothing behind it; locked when idle (the page's own timer), when the
// browser is reopened and on request; five wrong PINs sign the device out; the fingerprint
// (a platform passkey in Chromium's virtual authenticator) unlocks too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { practiceSuite } from '../lib/harness.mjs';
import { checkA11y, screenshots, DESKTOP, virtualAuthenticator } from '../lib/browser.mjs';
import { registerPatient } from '../lib/journey.mjs';

const ctx = practiceSuite({ practice: true });

async function enableLock(page, pin, confirmation = pin, { own = true, biometric = false } = {}) {
  await page.goto(ctx.server.base + '/settings');
  await page.getByText('Vergrendeling aanzetten').first().click();
  if (own) await page.getByLabel('Dit is mijn eigen apparaat; anderen gebruiken het niet').check();
  await page.getByLabel('Toegangscode (4 cijfers)').fill(pin);
  await page.getByLabel('Toegangscode nog een keer').fill(confirmation);
  if (biometric) await page.getByLabel('Ook ontgrendelen met vingerafdruk of gezicht (met je passkey)').check();
  await page.getByRole('button', { name: 'Vergrendeling aanzetten' }).click();
}

async function unlockWith(page, pin) {
  await page.getByLabel('Toegangscode', { exact: true }).fill(pin);
  await page.getByRole('button', { name: 'Ontgrendelen' }).click();
}

test('a PIN locks the messenger on this device: idle, reopened, on request; five wrong PINs sign out', async () => {
  const piet = { first: 'Piet', last: 'Post', email: 'piet@example.test', password: 'Brievenbus-7!' };
  const page = await registerPatient(ctx.browser, ctx.sink, ctx.staff, piet);

  // Easy PINs and mismatches are refused, and the device must be marked as one's own.
  await enableLock(page, '1234');
  await page.getByRole('alert').getByText('Zorg dat deze niet te gemakkelijk te raden is').waitFor();
  await enableLock(page, '4739', '4738');
  await page.getByText('De twee toegangscodes zijn niet gelijk.').waitFor();
  const csrf = await page.locator('input[name=_csrf]').first().inputValue();
  const notOwn = await page.request.post(ctx.server.base + '/settings/app-lock', { form: { _csrf: csrf, pin: '4739', pin_confirmation: '4739' }, maxRedirects: 0 });
  assert.match(notOwn.headers().location, /notice=lock_not_own/);
  await enableLock(page, '4739');
  await page.getByText('De toegangscode vergrendeling staat aan op dit apparaat.').first().waitFor();
  await checkA11y(page, 'settings with the app lock');
  await screenshots(page, '37-settings-app-lock');

  // On request: the lock screen, and nothing of the account behind it.
  await page.getByRole('button', { name: 'Nu vergrendelen' }).click();
  await page.getByRole('heading', { name: 'Vergrendeld' }).waitFor();
  assert.equal(await page.getByText('Piet Post').count(), 0, 'no name behind the lock');
  assert.equal(await page.getByRole('navigation', { name: 'Menu' }).count(), 0, 'no menu behind the lock');
  await checkA11y(page, 'lock screen');
  await screenshots(page, '36-lock');
  for (const path of ['/messenger', '/settings', '/lock/status']) {
    await page.goto(ctx.server.base + path);
    assert.match(page.url(), /\/lock$/, `${path} shows the lock screen`);
  }
  await unlockWith(page, '8888');
  await page.getByText('Deze toegangscode klopt niet. Je kunt het nog 4 keer proberen; daarna word je uitgelogd.').waitFor();
  await unlockWith(page, '4739');
  await page.getByRole('heading', { name: /^Gesprek met/ }).waitFor();

  // A browser that was closed and opened again keeps the session cookie, not the unlock cookie.
  const session = (await page.context().cookies()).find((c) => c.name === 'spreekuur_session');
  const reopened = await ctx.browser.newContext({ viewport: DESKTOP });
  await reopened.addCookies([session]);
  const again = await reopened.newPage();
  await again.goto(ctx.server.base + '/messenger');
  await again.getByRole('heading', { name: 'Vergrendeld' }).waitFor();
  await unlockWith(again, '4739');
  await again.getByRole('heading', { name: /^Gesprek met/ }).waitFor();

  // Idle: the page's timer locks after the practice's minutes without activity (time is
  // advanced in the browser, not waited for).
  const idle = await reopened.newPage();
  await idle.clock.install();
  await idle.goto(ctx.server.base + '/messenger');
  await idle.getByRole('heading', { name: /^Gesprek met/ }).waitFor();
  await idle.clock.fastForward('04:50');
  assert.doesNotMatch(idle.url(), /\/lock$/, 'not yet after 4:50');
  await idle.clock.fastForward('00:20');
  await idle.getByRole('heading', { name: 'Vergrendeld' }).waitFor();

  // Five wrong PINs sign this device out; the password is needed again.
  for (let left = 4; left >= 1; left--) {
    await unlockWith(idle, '1357');
    await idle.getByText(`Je kunt het nog ${left} keer proberen`).waitFor();
  }
  await unlockWith(idle, '1357');
  await idle.getByText('Je toegangscode is 5 keer verkeerd ingevuld. Voor je veiligheid ben je op dat apparaat uitgelogd').waitFor();
  await idle.goto(ctx.server.base + '/messenger');
  assert.match(idle.url(), /\/login$/);
  await page.goto(ctx.server.base + '/messenger');
  assert.match(page.url(), /\/login$/, 'the same session everywhere it was used');
});

test('the practice sets the minutes before the lock', async () => {
  await ctx.staff.goto(ctx.server.base + '/practice');
  const field = ctx.staff.getByLabel('Vergrendelen na zoveel minuten zonder activiteit');
  assert.equal(await field.inputValue(), '5');
  await field.fill('0');
  await ctx.staff.evaluate(() => document.querySelector('#lock_minutes').removeAttribute('min'));
  await ctx.staff.getByRole('button', { name: 'Opslaan' }).click();
  await ctx.staff.getByText('Kies een aantal minuten van 1 tot 120.').waitFor();
  await ctx.staff.getByLabel('Vergrendelen na zoveel minuten zonder activiteit').fill('2');
  await ctx.staff.getByRole('button', { name: 'Opslaan' }).click();
  await ctx.staff.getByText('De praktijkgegevens zijn opgeslagen.').waitFor();
  await ctx.staff.goto(ctx.server.base + '/settings');
  await ctx.staff.getByText('Na 2 minuten zonder activiteit').waitFor();
});

test('the fingerprint unlocks too, through a passkey on this device; the lock can be turned off', async () => {
  const page = await ctx.newPage();
  await page.context().addCookies((await ctx.staff.context().cookies()));
  await virtualAuthenticator(page);
  await page.goto(ctx.server.base + '/settings');
  await page.getByText('Passkey toevoegen').first().click();
  await page.getByLabel('Naam van de passkey').fill('Deze laptop');
  await page.locator('#passkey-password').fill('Stethoscoop-42!');
  await page.getByRole('button', { name: 'Passkey toevoegen' }).click();
  await page.getByText('De passkey is toegevoegd.').waitFor();

  await enableLock(page, '5826', '5826', { biometric: true });
  await page.getByText('De toegangscode vergrendeling staat aan op dit apparaat.').first().waitFor();
  await page.getByRole('button', { name: 'Nu vergrendelen' }).click();
  await page.getByRole('heading', { name: 'Vergrendeld' }).waitFor();
  await checkA11y(page, 'lock screen with fingerprint');
  await page.getByRole('button', { name: 'Ontgrendel met vingerafdruk of gezicht' }).click();
  await page.getByRole('heading', { name: 'Gesprekken' }).waitFor();

  // Turning it off needs the PIN.
  await page.goto(ctx.server.base + '/settings');
  await page.getByText('Vergrendeling uitzetten').first().click();
  await page.getByLabel('Toegangscode', { exact: true }).fill('1357');
  await page.getByRole('button', { name: 'Vergrendeling uitzetten' }).click();
  await page.getByText('Deze toegangscode klopt niet. Je kunt het nog 4 keer proberen').waitFor();
  await page.getByText('Vergrendeling uitzetten').first().click();
  await page.getByLabel('Toegangscode', { exact: true }).fill('5826');
  await page.getByRole('button', { name: 'Vergrendeling uitzetten' }).click();
  await page.getByText('De toegangscode vergrendeling staat uit op dit apparaat.').waitFor();
});

