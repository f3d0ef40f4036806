// "Instellingen": the account's sessions, and signing out one or all others. Another
// person's session id is "not found".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { practiceSuite } from '../lib/harness.mjs';
import { checkA11y, screenshots } from '../lib/browser.mjs';
import { setStaffSecondStep, ADMIN, setUpPractice, registerPatient, logIn } from '../lib/journey.mjs';

const ctx = practiceSuite();

test('sessions are listed and can be signed out, one or all others', async () => {
  const first = await ctx.newPage();
  await setUpPractice(first, ctx.server);
  // This test is about sessions: the administrator signs in with the password alone.
  await setStaffSecondStep(first, ctx.server.base, 'none');
  const second = await ctx.newPage({ userAgent: 'Mozilla/5.0 (Windows NT 10.0; rv:120.0) Gecko/20100101 Firefox/120.0' });
  assert.equal(await logIn(second, ctx.server.base, ADMIN.email, ADMIN.password), 303);
  await second.getByRole('link', { name: 'Instellingen' }).click();
  await second.getByRole('heading', { name: 'Sessies' }).waitFor();
  const rows = second.getByRole('row').filter({ has: second.getByRole('rowheader') });
  assert.equal(await rows.count(), 2);
  await rows.filter({ hasText: 'Deze sessie' }).getByText('Firefox op Windows').waitFor();
  await rows.filter({ hasText: '127.0.0.1' }).first().waitFor();
  await checkA11y(second, 'settings');
  await screenshots(second, '20-settings');
  const otherId = /\/settings\/sessions\/([^/]+)\/end/.exec(await second.locator('form[action$="/end"]').getAttribute('action'))[1];

  // A patient cannot end the administrator's session.
  const patient = await registerPatient(ctx.browser, ctx.sink, first, { first: 'Piet', last: 'Post', email: 'post@example.test', password: 'Woordje1!' });
  await patient.goto(ctx.server.base + '/settings');
  const status = await patient.evaluate(async (id) => {
    const body = new URLSearchParams({ _csrf: document.querySelector('input[name=_csrf]').value });
    return (await fetch(`/settings/sessions/${id}/end`, { method: 'POST', body, redirect: 'manual' })).status;
  }, otherId);
  assert.equal(status, 404);

  // Sign out the first session from the second.
  await second.getByRole('button', { name: /^Uitloggen: / }).click();
  await second.getByText('De sessie is uitgelogd.').waitFor();
  await first.goto(ctx.server.base + '/invitations');
  assert.match(first.url(), /\/login$/);

  // Sign in there again, then sign out all others.
  assert.equal(await logIn(first, ctx.server.base, ADMIN.email, ADMIN.password), 303);
  await second.goto(ctx.server.base + '/settings');
  await second.getByRole('button', { name: 'Alle andere sessies uitloggen' }).click();
  await second.getByText('Alle andere sessies zijn uitgelogd.').waitFor();
  await first.goto(ctx.server.base + '/invitations');
  assert.match(first.url(), /\/login$/);
  await second.goto(ctx.server.base + '/invitations');
  assert.match(second.url(), /\/invitations$/, 'this session stays');
});
