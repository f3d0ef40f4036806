// Live delivery over the WebSocket: a message appears for the other member without a reload;
// nothing is lost or doubled across a server crash and restart; two processes on one
// PostgreSQL database deliver to each other's sockets; and the socket refuses what it must.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { practiceSuite } from '../lib/harness.mjs';
import { startServer } from '../lib/server.mjs';
import { checkA11y, eventually } from '../lib/browser.mjs';
import { setUpPractice, registerPatient, liveOpen } from '../lib/journey.mjs';

const ctx = practiceSuite({ server: false });

async function send(page, text) {
  await page.getByRole('textbox', { name: 'Bericht' }).fill(text);
  await page.getByRole('button', { name: 'Stuur' }).click();
}

const texts = async (page) => page.locator('ol.messages li .body').allInnerTexts();

/** Staff and a patient, each on their shared conversation, both connected. */
async function pair(server, email) {
  const staff = await ctx.newPage();
  await setUpPractice(staff, server);
  const patient = await registerPatient(ctx.browser, ctx.sink, staff, { first: 'Piet', last: 'Post', email, password: 'Brievenbus-7!' });
  await staff.goto(server.base + '/messenger');
  await staff.getByRole('link', { name: /Piet Post/ }).click();
  await liveOpen(staff);
  await liveOpen(patient);
  return { staff, patient };
}

test('a message appears live, and nothing is lost or doubled across a crash', async () => {
  const server = await startServer({ smtpUrl: ctx.sink.url });
  try {
    const { staff, patient } = await pair(server, 'piet@example.test');
    await patient.evaluate(() => { window.notReloaded = true; });

    await send(staff, 'Goedemiddag Piet, de uitslag is binnen.');
    await patient.locator('ol.messages li').filter({ hasText: 'de uitslag is binnen' }).waitFor();
    assert.equal(await patient.evaluate(() => window.notReloaded), true, 'arrived without a reload');
    const own = staff.locator('ol.messages li.mine').filter({ hasText: 'de uitslag is binnen' });
    await staff.evaluate(() => { window.notReloaded = true; });
    // Piet's open page has read it: the provider's "verzonden" turns "gelezen" by itself.
    await own.getByText('gelezen').waitFor();
    assert.equal(await staff.evaluate(() => window.notReloaded), true, '"gelezen" arrived live');
    assert.equal(await staff.getByRole('textbox', { name: 'Bericht' }).inputValue(), '', 'the composer is cleared after the acknowledgement');
    await checkA11y(patient, 'conversation with a live message');

    // The server is killed; the provider writes twice as soon as it is back; the patient's
    // page reconnects, says where it was, and gets both once, in order.
    await server.crashAndRestart();
    await staff.reload();
    await send(staff, 'Eerste na de herstart');
    await send(staff, 'Tweede na de herstart');
    await staff.locator('ol.messages li').filter({ hasText: 'Tweede na de herstart' }).waitFor();
    await eventually(async () => (await texts(patient)).some((t) => t.includes('Tweede na de herstart')), 'the resumed socket delivers');
    const seen = await texts(patient);
    assert.equal(seen.filter((t) => t.includes('Eerste na de herstart')).length, 1);
    assert.ok(seen.findIndex((t) => t.includes('Eerste')) < seen.findIndex((t) => t.includes('Tweede')));
    assert.equal(await patient.evaluate(() => window.notReloaded), true);

    // What the socket refuses: another's conversation, an empty message, garbage, a flood.
    const answers = await patient.evaluate(async () => {
      const ws = new WebSocket(`ws://${location.host}/ws`);
      const got = [];
      let closed = null;
      ws.onmessage = (e) => got.push(JSON.parse(e.data));
      ws.onclose = (e) => { closed = e.code; };
      await new Promise((r) => { ws.onopen = r; });
      ws.send(JSON.stringify({ type: 'hello' }));
      ws.send(JSON.stringify({ type: 'send', conversation: '0190c0de-0000-7000-8000-000000000000', client_id: 'x1', body: 'hoi' }));
      ws.send(JSON.stringify({ type: 'send', conversation: document.getElementById('messenger').dataset.conversation, client_id: 'x2', body: '   ' }));
      ws.send('{not json');
      // Frames many times the server's read buffer (1 KiB): the longest message there may
      // be (10,000 characters of two bytes each) is taken whole; one character more is not.
      const conversation = document.getElementById('messenger').dataset.conversation;
      ws.send(JSON.stringify({ type: 'send', conversation, client_id: 'x3', body: 'ë'.repeat(9999) + '!' }));
      ws.send(JSON.stringify({ type: 'send', conversation, client_id: 'x4', body: 'ë'.repeat(10001) }));
      ws.send(JSON.stringify({ type: 'send', conversation, client_id: 'x 5!', body: 'hallo' }));
      await new Promise((r) => setTimeout(r, 500));
      for (let i = 0; i < 200 && closed === null; i++) ws.send(JSON.stringify({ type: 'ping' }));
      await new Promise((r) => setTimeout(r, 1000));
      return { got, closed };
    });
    const errors = answers.got.filter((f) => f.type === 'error');
    // The codes are the JSON API's; the sentence says which rule was broken.
    assert.deepEqual(errors.slice(0, 5).map((f) => [f.client_id ?? null, f.code]), [['x1', 'not_found'], ['x2', 'invalid'], [null, 'invalid'], ['x4', 'invalid'], ['x 5!', 'invalid']]);
    assert.match(errors[1].message, /Schrijf eerst een bericht/);
    assert.match(errors[2].message, /kon niet gelezen worden/);
    assert.match(errors[3].message, /hoogstens 10\.000 tekens/);
    assert.match(errors[4].message, /ongeldige client_id/, 'says what is wrong, does not blame the server');
    assert.ok(answers.got.some((f) => f.type === 'ack' && f.client_id === 'x3'), 'the longest message is taken');
    await eventually(async () => (await texts(staff)).some((t) => t.includes('ë'.repeat(9999) + '!')), 'the longest message arrives whole');
    assert.ok(errors.some((f) => f.code === 'rate_limited'), `a flood is refused: ${answers.got.length} frames, closed ${answers.closed}`);
    assert.equal(answers.closed, 1008, 'then the socket is closed');

    // A frame over 64 KiB closes the socket with 1009 ("message too big"), not a broken line.
    const big = await patient.evaluate(async () => {
      const ws = new WebSocket(`ws://${location.host}/ws`);
      await new Promise((r) => { ws.onopen = r; });
      const closed = new Promise((r) => { ws.onclose = (e) => r({ code: e.code, reason: e.reason }); });
      ws.send('x'.repeat(65 * 1024));
      return closed;
    });
    assert.deepEqual(big, { code: 1009, reason: 'message too big' });
    assert.equal(await patient.locator('ol.messages li').filter({ hasText: /^hoi$/ }).count(), 0);

    // A page of another site may not open a socket with the visitor's cookie.
    const cookie = (await patient.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const status = (origin) => new Promise((resolve) => {
      const req = http.request(`${server.base}/ws`, {
        headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', Origin: origin, Cookie: cookie },
      });
      req.on('upgrade', (res, socket) => { socket.destroy(); resolve(res.statusCode); });
      req.on('response', (res) => resolve(res.statusCode));
      req.end();
    });
    assert.equal(await status('https://evil.example'), 403);
    assert.equal(await status(server.base), 101);

    // Signed out elsewhere (the same session, another tab): the open socket stops delivering.
    const twin = await ctx.newPage();
    await twin.context().addCookies(await patient.context().cookies());
    await twin.goto(server.base + '/messenger');
    await twin.getByRole('button', { name: 'Uitloggen' }).first().click();
    await twin.getByRole('heading', { name: 'Inloggen' }).waitFor();
    await new Promise((r) => setTimeout(r, 6000));
    await send(staff, 'Na het uitloggen verstuurd');
    await staff.locator('ol.messages li').filter({ hasText: 'Na het uitloggen verstuurd' }).waitFor();
    await eventually(async () => (await patient.locator('#messenger').getAttribute('data-live')) !== 'open', 'the socket is closed');
    assert.equal(await patient.locator('ol.messages li').filter({ hasText: 'Na het uitloggen verstuurd' }).count(), 0);
  } finally {
    await server.stop();
  }
});

test('two processes on one PostgreSQL database deliver to each other\'s sockets', async () => {
  const a = await startServer({ smtpUrl: ctx.sink.url, postgres: true });
  let b = null;
  try {
    const { staff, patient } = await pair(a, 'piet.pg@example.test');
    // The second process starts on the same database and key, once the practice exists.
    b = await startServer({ smtpUrl: ctx.sink.url, env: { SPREEKUUR_DATABASE_URL: a.databaseUrl, SPREEKUUR_MASTER_KEY_FILE: a.masterKeyFile } });
    // The patient moves to the other process (same session: one database, one key).
    const conversation = new URL(patient.url()).pathname;
    await patient.goto(b.base + conversation);
    await liveOpen(patient);
    assert.ok(patient.url().startsWith(b.base));
    await send(staff, 'Via proces A verstuurd');
    await patient.locator('ol.messages li').filter({ hasText: 'Via proces A verstuurd' }).waitFor();
    await send(patient, 'En via proces B beantwoord');
    await staff.locator('ol.messages li').filter({ hasText: 'En via proces B beantwoord' }).waitFor();
  } finally {
    await b?.stop();
    await a.stop();
  }
});
