// Input that is not text (a NUL character, bytes that are not UTF-8) gets a clear 400 on
// PostgreSQL, which refuses NUL in text, before and after signing in, on pages and the API, and
// changes nothing. (SQLite stored such text; both now refuse it at the edge, before either
// database sees it.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { practiceSuite } from '../lib/harness.mjs';
import { checkA11y } from '../lib/browser.mjs';
import { ADMIN, setUpPractice } from '../lib/journey.mjs';
import { apiClient } from '../lib/api.mjs';

const ctx = practiceSuite({ postgres: true });

const api = apiClient(() => ctx.server.base);
const NOT_TEXT = 'Wat je hebt ingevuld bevat een teken dat geen tekst is';

/** Posts a raw urlencoded body from inside the page (its cookies), with its CSRF token. */
async function postRaw(page, action, raw) {
  return page.evaluate(async ({ action, raw }) => {
    const csrf = document.querySelector('input[name=_csrf]').value;
    const r = await fetch(action, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `${raw}&_csrf=${encodeURIComponent(csrf)}`,
      redirect: 'manual',
    });
    return { status: r.status, text: await r.text() };
  }, { action, raw });
}

test('NUL and invalid UTF-8 are refused with 400 on PostgreSQL, on pages and the API', async () => {
  // Before signing in: the login form.
  const visitor = await ctx.newPage();
  await visitor.goto(ctx.server.base + '/login');
  let r = await postRaw(visitor, '/login', 'login=a%00b%40x.test&password=geheim');
  assert.equal(r.status, 400, 'a NUL in the login name');
  assert.match(r.text, new RegExp(NOT_TEXT));
  await visitor.setContent(r.text);
  await checkA11y(visitor, 'input that is not text');

  const admin = await ctx.newPage();
  await setUpPractice(admin, ctx.server);
  let res = await admin.goto(ctx.server.base + '/accounts?q=a%00b');
  assert.equal(res.status(), 400, 'a NUL in a search');
  await admin.getByText(NOT_TEXT).waitFor();

  // Invalid UTF-8 in a form field is not stored as U+FFFD: refused, nothing invited or mailed.
  await admin.goto(ctx.server.base + '/invite');
  const mails = ctx.sink.messages.length;
  r = await postRaw(admin, '/invite', 'first_name=Ev%FFa&last_name=Bakker&email=eva%40example.test');
  assert.equal(r.status, 400, 'invalid UTF-8 in a name');
  assert.match(r.text, new RegExp(NOT_TEXT));
  // The same form sent as text/plain (no form type for the edge to see) is refused all the same.
  await admin.goto(ctx.server.base + '/invite');
  const plain = await admin.evaluate(async () => {
    const csrf = document.querySelector('input[name=_csrf]').value;
    const r = await fetch('/invite', {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: `first_name=Ev%FFa&last_name=Bakker&email=eva%40example.test&_csrf=${encodeURIComponent(csrf)}`,
    });
    return r.status;
  });
  assert.equal(plain, 400, 'invalid UTF-8 in a form sent as text/plain');
  await admin.goto(ctx.server.base + '/invitations');
  assert.equal(await admin.getByText('eva@example.test').count(), 0, 'no invitation was made');
  assert.equal(ctx.sink.messages.length, mails, 'no e-mail was sent');

  // The API answers in its own JSON error shape.
  await admin.goto(ctx.server.base + '/settings');
  await admin.getByLabel('Waar is de token voor?').fill('NUL-test');
  await admin.locator('#token-password').fill(ADMIN.password);
  await admin.getByRole('button', { name: 'Token maken' }).click();
  const token = (await admin.locator('#new-token').innerText()).trim();
  let a = await api(token, 'GET', '/api/v1/conversations?external_id=a%00b');
  assert.equal(a.status, 400, 'a NUL in a query parameter');
  assert.equal(a.json.error.code, 'invalid');
  a = await api(token, 'POST', '/api/v1/accounts', { kind: 'patient', first_name: 'a\u0000b', last_name: 'C', email: 'nul@example.test' });
  assert.equal(a.status, 400, 'a NUL in a JSON string');
  assert.equal(a.json.error.code, 'invalid');
  assert.match(a.json.error.message, /NUL/);
  a = await api(token, 'GET', '/api/v1/me');
  assert.equal(a.status, 200, 'the server is fine afterwards');

  assert.doesNotMatch(ctx.server.logs(), /internal error/, 'no request failed inside the server');
});
