// Bad input on the invitation journey gets a clear page and changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { practiceSuite } from '../lib/harness.mjs';
import { startSmtpSink } from '../lib/smtp-sink.mjs';
import { startServer } from '../lib/server.mjs';
import { checkA11y, screenshots, DESKTOP } from '../lib/browser.mjs';
import { setUpPractice, invite, invitationMail, invitationState } from '../lib/journey.mjs';

let staff;
const ctx = practiceSuite({
  // The administrator's page fails on any dialog: one would mean that a script smuggled in ran.
  setUp: async ({ newPage, server }) => {
    staff = await newPage();
    staff.on('dialog', () => { throw new Error('a script ran: a dialog opened'); });
    await setUpPractice(staff, server);
  },
});

/** Posts a form from inside the page (same cookies), with or without the page's CSRF token. */
async function postForm(page, action, fields, { csrf = true } = {}) {
  return page.evaluate(async ({ action, fields, csrf }) => {
    const body = new URLSearchParams(fields);
    if (csrf) body.set('_csrf', document.querySelector('input[name=_csrf]').value);
    const r = await fetch(action, { method: 'POST', body, redirect: 'manual' });
    return { status: r.status, text: await r.text() };
  }, { action, fields, csrf });
}

test('unknown, used and expired links get a clear page', async () => {
  const page = await ctx.newPage();
  let res = await page.goto(ctx.server.base + '/i/not-a-real-token');
  assert.equal(res.status(), 404);
  await page.getByText('Deze uitnodigingslink is niet geldig.').waitFor();
  await checkA11y(page, 'unknown link');
  res = await page.goto(ctx.server.base + '/i/not-a-real-token/register');
  assert.equal(res.status(), 404);
  res = await page.goto(ctx.server.base + '/password/nope');
  assert.equal(res.status(), 422);
  await page.getByText('Deze link is niet geldig.').waitFor();
  res = await page.goto(ctx.server.setupLink);
  await page.getByText('Deze instellingslink is niet (meer) geldig.').waitFor();
  await screenshots(page, '13-used-setup-link');

  // Invitations valid for 0 days are expired at once: a real expiry, without waiting.
  const s2 = await startSmtpSink();
  const short = await startServer({ smtpUrl: s2.url, env: { SPREEKUUR_INVITATION_VALID_DAYS: '0' } });
  try {
    const admin = await ctx.newPage();
    await setUpPractice(admin, short);
    await invite(admin, { first: 'Oud', last: 'Link', email: 'oud@example.test' });
    const { link } = await invitationMail(s2, 'oud@example.test');
    res = await page.goto(link);
    assert.equal(res.status(), 410);
    await page.getByText('Deze uitnodiging is verlopen.').waitFor();
    await page.getByText('Vraag de praktijk om een nieuwe uitnodiging.').waitFor();
    assert.equal(await invitationState(admin, 'oud@example.test'), 'verlopen');
    await admin.getByRole('row').filter({ hasText: 'oud@example.test' }).getByRole('button', { name: /Opnieuw versturen/ }).waitFor();
  } finally {
    await short.stop();
    await s2.close();
  }
});

test('forms without a valid CSRF token are refused with 403 and change nothing', async () => {
  await staff.goto(ctx.server.base + '/invite');
  const before = ctx.sink.messages.length;
  let r = await postForm(staff, '/invite', { first_name: 'Eva', last_name: 'E', email: 'eva@example.test' }, { csrf: false });
  assert.equal(r.status, 403);
  assert.match(r.text, /Dit formulier is verlopen of niet vanaf deze website verstuurd/);
  r = await postForm(staff, '/invite', { first_name: 'Eva', last_name: 'E', email: 'eva@example.test', _csrf: 'forged' }, { csrf: false });
  assert.equal(r.status, 403);
  await staff.goto(ctx.server.base + '/invitations');
  assert.equal(await staff.getByRole('row').filter({ hasText: 'eva@example.test' }).count(), 0);
  assert.equal(ctx.sink.messages.length, before);
});

test('an oversized request gets 413', async () => {
  await staff.goto(ctx.server.base + '/invite');
  const r = await postForm(staff, '/invite', { first_name: 'Groot', last_name: 'G', email: 'g@example.test', note: 'x'.repeat(2 * 1024 * 1024) });
  assert.equal(r.status, 413);
  assert.match(r.text, /Wat je verstuurde is te groot/);
});

test('a name with <script> is shown as text everywhere, the e-mail included', async () => {
  const p = { first: '<script>alert(1)</script>', last: '<b>Vet</b>', email: 'xss@example.test' };
  const before = ctx.sink.messages.length;
  await invite(staff, p);
  await staff.getByRole('rowheader', { name: '<script>alert(1)</script> <b>Vet</b>' }).waitFor();
  const { mail, link } = await invitationMail(ctx.sink, p.email, { after: before });
  assert.ok(!mail.html.includes('<script>'), 'escaped in the HTML part');
  assert.ok(mail.html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  const page = await ctx.newPage();
  page.on('dialog', () => { throw new Error('a script ran on the landing page'); });
  await page.goto(link);
  await page.getByRole('heading', { name: 'Hallo <script>alert(1)</script>,' }).waitFor();
  assert.equal(await page.locator('script:not([src])').count(), 0);
});

test('a name or address with CR or LF is refused before it can reach a header', async () => {
  await staff.goto(ctx.server.base + '/invite');
  const before = ctx.sink.messages.length;
  let r = await postForm(staff, '/invite', { first_name: 'Jan\r\nBcc: evil@example.test', last_name: 'J', email: 'crlf@example.test' });
  assert.equal(r.status, 422);
  assert.match(r.text, /Dit veld mag geen regeleinden of onzichtbare tekens bevatten/);
  r = await postForm(staff, '/invite', { first_name: 'Jan', last_name: 'J', email: 'crlf@example.test\r\nBcc: evil@example.test' });
  assert.equal(r.status, 422);
  assert.match(r.text, /Dit is geen geldig e-mailadres/);
  await staff.goto(ctx.server.base + '/invitations');
  assert.equal(await staff.getByRole('row').filter({ hasText: 'crlf@example.test' }).count(), 0);
  assert.equal(ctx.sink.messages.length, before);
});

test('the server checks the password rules when JavaScript is off, and refuses common passwords', async () => {
  const before = ctx.sink.messages.length;
  await invite(staff, { first: 'Zonder', last: 'Script', email: 'nojs@example.test' });
  const { link } = await invitationMail(ctx.sink, 'nojs@example.test', { after: before });
  const context = await ctx.browser.newContext({ viewport: DESKTOP, javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(link + '/register');
  await page.getByLabel(/^Wachtwoord\*?$/).fill('kort');
  await page.getByLabel(/^Wachtwoord bevestigen\*?$/).fill('kort');
  await page.getByRole('button', { name: 'Volgende' }).click();
  await page.locator('#password-error').getByText('Gebruik ten minste 8 karakters').waitFor();
  assert.equal(await page.locator('#pw-rules li.met').count(), 1, 'the server ticks the one rule "kort" meets: a lower-case letter');
  assert.equal(await page.locator('#pw-rules li[data-rule=lower].met').count(), 1);
  await page.getByLabel(/^Wachtwoord\*?$/).fill('Welkom01!');
  await page.getByLabel(/^Wachtwoord bevestigen\*?$/).fill('Welkom01!');
  await page.getByRole('button', { name: 'Volgende' }).click();
  await page.getByText('Dit wachtwoord wordt te vaak gebruikt en is makkelijk te raden.').waitFor();
  await page.getByLabel(/^Wachtwoord\*?$/).fill('Woordje1!');
  await page.getByLabel(/^Wachtwoord bevestigen\*?$/).fill('Woordje1!');
  await page.getByLabel(/^E-mailadres/).evaluate((el) => { el.removeAttribute('readonly'); el.setAttribute('name', 'email'); el.value = 'attacker@example.test'; });
  await page.getByRole('button', { name: 'Volgende' }).click();
  await page.getByRole('heading', { name: 'Samenvatting' }).waitFor();
  assert.match(await page.locator('dl.summary').innerText(), /nojs@example\.test/);
  await context.close();
});

test('two simultaneous submissions of the last step make exactly one account', async () => {
  const before = ctx.sink.messages.length;
  await invite(staff, { first: 'Dubbel', last: 'Klik', email: 'dubbel@example.test' });
  const { link } = await invitationMail(ctx.sink, 'dubbel@example.test', { after: before });
  const page = await ctx.newPage();
  await page.goto(link + '/register');
  await page.getByLabel(/^Wachtwoord\*?$/).fill('Woordje1!');
  await page.getByLabel(/^Wachtwoord bevestigen\*?$/).fill('Woordje1!');
  await page.getByRole('button', { name: 'Volgende' }).click();
  await page.getByRole('heading', { name: 'Samenvatting' }).waitFor();
  const results = await page.evaluate(async () => {
    const form = document.querySelector('form[action$="/complete"]');
    const body = new URLSearchParams(new FormData(form));
    body.set('terms', 'yes');
    const send = () => fetch(form.action, { method: 'POST', body, redirect: 'manual' }).then(async (r) => ({ status: r.status, text: await r.text() }));
    return Promise.all([send(), send(), send()]);
  });
  const ok = results.filter((r) => r.status === 200 && r.text.includes('Bedankt voor je registratie.'));
  assert.equal(ok.length, 1, `exactly one succeeds: ${results.map((r) => r.status)}`);
  for (const r of results.filter((x) => x !== ok[0])) {
    assert.equal(r.status, 410);
    assert.match(r.text, /Deze uitnodiging is al gebruikt/);
  }
  assert.equal(await invitationState(staff, 'dubbel@example.test'), 'geaccepteerd');
});

test('a patient opening staff pages sees "not found", nothing else', async () => {
  const before = ctx.sink.messages.length;
  await invite(staff, { first: 'Nieuws', last: 'Gierig', email: 'gierig@example.test' });
  const { link } = await invitationMail(ctx.sink, 'gierig@example.test', { after: before });
  const page = await ctx.newPage();
  await page.goto(link + '/register');
  await page.getByLabel(/^Wachtwoord\*?$/).fill('Woordje1!');
  await page.getByLabel(/^Wachtwoord bevestigen\*?$/).fill('Woordje1!');
  await page.getByRole('button', { name: 'Volgende' }).click();
  await page.getByLabel(/Ik ga akkoord met de/).check();
  await page.getByRole('button', { name: 'Volgende' }).click();
  await page.getByRole('link', { name: 'Open de messenger nu' }).click();
  for (const path of ['/invitations', '/invite', '/staff', '/practice', '/dev/mailbox']) {
    const res = await page.goto(ctx.server.base + path);
    assert.equal(res.status(), 404, path);
    await page.getByRole('heading', { name: 'Pagina niet gevonden' }).waitFor();
    assert.equal(await page.getByText('@example.test').count(), 0, `${path} shows no patient data`);
  }
  // Another person's conversation id is "not found" too.
  await staff.goto(ctx.server.base + '/messenger');
  const other = await staff.getByRole('link', { name: /Zonder Script|Dubbel Klik/ }).first().getAttribute('href');
  const res = await page.goto(ctx.server.base + (other || '/messenger/00000000-0000-0000-0000-000000000000'));
  assert.equal(res.status(), 404);
  assert.equal((await page.goto(ctx.server.base + '/messenger/00000000-0000-7000-8000-000000000000')).status(), 404);
});
