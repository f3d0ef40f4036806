// Passkeys with Chromium's virtual authenticator (DevTools WebAuthn domain): added in
// Instellingen with the password, signing in without typing anything, the second step after the
// password, removal, a ceremony answered twice, and the pages that say where passkeys cannot work.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { practiceSuite } from '../lib/harness.mjs';
import { startServer } from '../lib/server.mjs';
import { checkA11y, screenshots, virtualAuthenticator, contextWithoutAutofill } from '../lib/browser.mjs';
import { ADMIN, setUpPractice, logIn } from '../lib/journey.mjs';

const ctx = practiceSuite();

async function addPasskey(page, name, password) {
  await page.getByText('Passkey toevoegen').first().click();
  await page.getByLabel('Naam van de passkey').fill(name);
  await page.locator('#passkey-password').fill(password);
  await page.getByRole('button', { name: 'Passkey toevoegen' }).click();
}

async function logOut(page) {
  await page.getByRole('button', { name: 'Uitloggen' }).first().click();
  await page.getByRole('heading', { name: 'Inloggen' }).waitFor();
}

test('a passkey added in Instellingen signs in without a password and serves as the second step', async () => {
  const page = await (await contextWithoutAutofill(ctx.browser)).newPage();
  const authenticator = await virtualAuthenticator(page);
  await setUpPractice(page, ctx.server);
  await page.getByRole('link', { name: 'Instellingen' }).click();
  await page.getByRole('heading', { name: 'Passkeys' }).waitFor();
  await page.getByText('Je hebt nog geen passkey.').waitFor();

  // The password is asked again; a wrong one makes nothing.
  await addPasskey(page, 'Mijn laptop', 'niet-het-wachtwoord');
  await page.getByText('Dit wachtwoord klopt niet.').waitFor();
  assert.equal((await authenticator.credentials()).length, 0, 'no credential made');
  await page.locator('#passkey-password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Passkey toevoegen' }).click();
  await page.getByText('De passkey is toegevoegd. Je kunt er voortaan mee inloggen.').waitFor();
  const row = page.getByRole('row').filter({ hasText: 'Mijn laptop' });
  await row.getByText('Nog niet').waitFor();
  const creds = await authenticator.credentials();
  assert.equal(creds.length, 1);
  assert.equal(creds[0].isResidentCredential, true, 'a discoverable passkey, so it signs in by itself');
  assert.equal(creds[0].rpId, 'localhost');
  await checkA11y(page, 'settings with a passkey');
  await screenshots(page, '31-passkeys-settings');

  // Adding the same authenticator again is refused by the authenticator itself (excluded).
  await addPasskey(page, 'Nog een keer', ADMIN.password);
  await page.getByText('Het is niet gelukt of het is afgebroken. Probeer het opnieuw.').waitFor();
  assert.equal((await authenticator.credentials()).length, 1);

  // Signing in with the passkey: no name, no password.
  await logOut(page);
  await checkA11y(page, 'login with passkey button');
  await screenshots(page, '32-login-passkey');
  await page.getByRole('button', { name: 'Inloggen met een passkey' }).click();
  await page.getByRole('heading', { name: 'Gesprekken' }).waitFor();
  await page.getByRole('link', { name: 'Instellingen' }).click();
  assert.equal(await page.getByRole('row').filter({ hasText: 'Mijn laptop' }).getByText('Nog niet').count(), 0, 'last use recorded');

  // After the password, the passkey is the second step; the messenger is not reachable before it.
  await logOut(page);
  assert.equal(await logIn(page, ctx.server.base, ADMIN.email, ADMIN.password), 303);
  await page.getByRole('heading', { name: 'Tweefactorauthenticatie' }).waitFor();
  await page.getByText('Bevestig met je passkey dat jij het bent.').waitFor();
  await checkA11y(page, 'passkey second step');
  await screenshots(page, '33-passkey-second-step');
  const stillPending = await page.context().newPage();
  await stillPending.goto(ctx.server.base + '/messenger');
  assert.match(stillPending.url(), /\/login$/, 'second step not skipped by going straight to the messenger');
  await stillPending.close();
  await page.getByRole('button', { name: 'Gebruik je passkey' }).click();
  await page.getByRole('heading', { name: 'Gesprekken' }).waitFor();

  // One sign-in ceremony answered twice at once: exactly one answer signs in.
  const statuses = await page.evaluate(async () => {
    const csrf = document.querySelector('input[name=_csrf]').value;
    const post = (url, data) => fetch(url, { method: 'POST', body: new URLSearchParams(data), credentials: 'same-origin' });
    const start = await (await post('/login/passkey/options', { _csrf: csrf })).json();
    const b64 = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(s.length / 4) * 4, '=')), (c) => c.charCodeAt(0));
    const enc = (b) => btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    const cred = await navigator.credentials.get({ publicKey: { ...start.options.publicKey, challenge: b64(start.options.publicKey.challenge) } });
    const answer = JSON.stringify({
      id: cred.id, rawId: enc(cred.rawId), type: cred.type, extensions: {},
      response: { clientDataJSON: enc(cred.response.clientDataJSON), authenticatorData: enc(cred.response.authenticatorData), signature: enc(cred.response.signature), userHandle: enc(cred.response.userHandle) },
    });
    const both = await Promise.all([1, 2].map(() => post('/login/passkey', { _csrf: csrf, ceremony: start.ceremony, credential: answer })));
    return both.map((r) => r.status).sort();
  });
  assert.deepEqual(statuses, [200, 410], 'one answer signs in, the other finds the ceremony used');

  // Another user's passkey id is "not found".
  const csrf = await page.locator('input[name=_csrf]').first().inputValue();
  const foreign = await page.request.post(ctx.server.base + '/settings/passkeys/0190c0de-0000-7000-8000-000000000000/remove', { form: { _csrf: csrf }, maxRedirects: 0 });
  assert.equal(foreign.status(), 404);

  // With autofill, the login page offers the passkey on the name field: choosing it signs in
  // (the virtual authenticator chooses at once). Same passkey, copied into another browser.
  const other = await ctx.newPage();
  const otherAuthenticator = await virtualAuthenticator(other);
  await otherAuthenticator.add((await authenticator.credentials())[0]);
  await other.goto(ctx.server.base + '/login');
  await other.getByRole('heading', { name: 'Gesprekken' }).waitFor();

  // The first copy now lags behind on the signature counter: a cloned passkey is refused.
  await logOut(page);
  await page.getByRole('button', { name: 'Inloggen met een passkey' }).click();
  await page.getByText('Inloggen met deze passkey is niet gelukt. Probeer het opnieuw of log in met je wachtwoord.').waitFor();

  // Removing the passkey makes it useless at once; then the password leads to setting up a
  // second step again (the practice's default for staff), here a new passkey.
  await other.goto(ctx.server.base + '/settings');
  await other.getByRole('button', { name: 'Verwijderen: Mijn laptop' }).click();
  await other.getByText('De passkey is verwijderd.').waitFor();
  await other.getByText('Je hebt nog geen passkey.').waitFor();
  const answered = other.waitForResponse((r) => r.url().endsWith('/login/passkey'));
  await logOut(other);
  const refused = await answered;
  assert.equal(refused.status(), 401, 'the autofill answer with a removed passkey is refused');
  assert.equal(await logIn(other, ctx.server.base, ADMIN.email, ADMIN.password), 303);
  await other.getByRole('heading', { name: 'Tweede stap instellen' }).waitFor();
  await addPasskey(other, 'Nieuwe laptop', ADMIN.password);
  await other.getByText('De passkey is toegevoegd. Je kunt er voortaan mee inloggen.').waitFor();
  await other.goto(ctx.server.base + '/messenger');
  await other.getByRole('heading', { name: 'Gesprekken' }).waitFor();
});

test('anonymous passkey sign-ins are limited per address: no row per call without end', async () => {
  const page = await ctx.newPage();
  await page.goto(ctx.server.base + '/login');
  const csrf = await page.locator('input[name=_csrf]').first().inputValue();
  // The count is per clock minute: start early in one, so the 40 calls fall in the same.
  const intoMinute = Date.now() % 60000;
  if (intoMinute > 45000) await new Promise((r) => setTimeout(r, 60000 - intoMinute + 100));
  // The login page itself may have started one for the browser's autofill.
  const answers = [];
  for (let i = 0; i < 40; i++) {
    answers.push(await page.request.post(ctx.server.base + '/login/passkey/options', { form: { _csrf: csrf, conditional: '1' } }));
  }
  const ok = answers.filter((r) => r.status() === 200).length;
  const limited = answers.filter((r) => r.status() === 429);
  assert.ok(ok >= 1 && ok <= 30, `at most 30 a minute: ${answers.map((r) => r.status())}`);
  assert.equal(ok + limited.length, 40);
  assert.ok(limited.length >= 10);
  assert.ok(Number(limited[0].headers()['retry-after']) >= 1, 'a refusal says when to try again');
  assert.match((await limited[0].json()).error, /Te veel pogingen/);
});

test('a page opened where passkeys cannot work says so', async () => {
  const page = await ctx.newPage();
  // Opened on the IP address while the server's address is http://localhost:<port>.
  await page.goto(`http://127.0.0.1:${ctx.server.port}/login`);
  await page.getByText(`Passkeys werken niet op dit adres. Open Spreekuur via http://localhost:${ctx.server.port} om een passkey te gebruiken.`).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Inloggen met een passkey' }).isVisible(), false);

  // A server set up on an IP address has no passkeys at all, and Instellingen says why.
  const ipServer = await startServer({ smtpUrl: ctx.sink.url, env: (port) => ({ SPREEKUUR_PUBLIC_URL: `http://127.0.0.1:${port}` }) });
  try {
    const p = await ctx.newPage();
    await p.goto(ipServer.setupLink);
    await setUpPractice(p, ipServer);
    await p.goto(ipServer.base.replace('localhost', '127.0.0.1') + '/settings');
    await p.getByText('Passkeys werken niet op deze server: hij is ingesteld op een IP-adres in plaats van een naam.').waitFor();
    await checkA11y(p, 'settings without passkeys');
  } finally {
    await ipServer.stop();
  }
});
