// The JSON API: a personal access token made in Instellingen (shown once, revocable) and one
// made by the operator on the command line; the same rules as the pages (membership, patients
// reach nobody, not-found for others' ids); idempotent sends; pages by cursor; rate limits;
// the generated OpenAPI document; and the WebSocket accepting a token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { practiceSuite } from '../lib/harness.mjs';
import { checkA11y, screenshots } from '../lib/browser.mjs';
import { ADMIN, setUpPractice, registerPatient } from '../lib/journey.mjs';
import { apiClient } from '../lib/api.mjs';

const ctx = practiceSuite();

const api = apiClient(() => ctx.server.base);

test('tokens, conversations and messages over the API, with the pages\' rules', async () => {
  const admin = await ctx.newPage();
  await setUpPractice(admin, ctx.server);
  const piet = await registerPatient(ctx.browser, ctx.sink, admin, { first: 'Piet', last: 'Post', email: 'piet@example.test', password: 'Brievenbus-7!' });

  // A token made in Instellingen is shown once.
  await admin.goto(ctx.server.base + '/settings');
  await admin.getByLabel('Waar is de token voor?').fill('HIS-koppeling');
  await admin.locator('#token-password').fill('niet-het-wachtwoord');
  await admin.getByRole('button', { name: 'Token maken' }).click();
  await admin.getByRole('alert').getByText('Dit wachtwoord klopt niet.').waitFor();
  assert.equal(await admin.locator('#new-token').count(), 0);
  await admin.getByLabel('Waar is de token voor?').fill('HIS-koppeling');
  await admin.locator('#token-password').fill(ADMIN.password);
  await admin.getByRole('button', { name: 'Token maken' }).click();
  await admin.getByText('Kopieer deze token nu: je ziet hem maar één keer.').waitFor();
  const token = (await admin.locator('#new-token').innerText()).trim();
  assert.match(token, /^spk_[A-Za-z0-9_-]{43}$/);
  await checkA11y(admin, 'settings with a new token');
  await screenshots(admin, '42-api-token');
  await admin.goto(ctx.server.base + '/settings');
  assert.equal(await admin.locator('#new-token').count(), 0, 'not shown again');
  assert.equal(await admin.getByText(token).count(), 0);
  // Patients have no tokens.
  await piet.goto(ctx.server.base + '/settings');
  assert.equal(await piet.getByText('API-tokens').count(), 0);

  assert.equal((await api(null, 'GET', '/api/v1/me')).status, 401);
  assert.equal((await api('spk_' + 'x'.repeat(43), 'GET', '/api/v1/me')).status, 401);
  const me = await api(token, 'GET', '/api/v1/me');
  assert.equal(me.status, 200);
  assert.equal(me.json.email, ADMIN.email);

  const list = await api(token, 'GET', '/api/v1/conversations');
  assert.equal(list.json.length, 1);
  const conv = list.json[0];
  assert.equal(conv.title, 'Piet Post');

  // Idempotent send: the same key twice stores one message.
  const first = await api(token, 'POST', `/api/v1/conversations/${conv.id}/messages`, { body: 'Uw recept staat klaar.' }, { 'Idempotency-Key': 'his-4711' });
  const again = await api(token, 'POST', `/api/v1/conversations/${conv.id}/messages`, { body: 'Uw recept staat klaar.' }, { 'Idempotency-Key': 'his-4711' });
  assert.deepEqual([first.status, again.status], [201, 200]);
  assert.equal(again.json.id, first.json.id);
  for (let i = 1; i <= 4; i++) {
    assert.equal((await api(token, 'POST', `/api/v1/conversations/${conv.id}/messages`, { body: `Bericht ${i}` })).status, 201);
  }
  assert.equal((await api(token, 'POST', `/api/v1/conversations/${conv.id}/messages`, { body: '  ' })).status, 422);
  assert.equal((await api(token, 'POST', `/api/v1/conversations/${conv.id}/messages`, { body: 'x'.repeat(10001) })).status, 422);
  await piet.goto(ctx.server.base + '/messenger');
  await piet.getByText('Uw recept staat klaar.').waitFor();
  assert.equal(await piet.getByText('Uw recept staat klaar.').count(), 1);

  // Pages by cursor, in order.
  const p1 = await api(token, 'GET', `/api/v1/conversations/${conv.id}/messages?limit=3`);
  assert.deepEqual(p1.json.messages.map((m) => m.seq), [1, 2, 3]);
  const p2 = await api(token, 'GET', `/api/v1/conversations/${conv.id}/messages?limit=3&after=${p1.json.next_after}`);
  assert.deepEqual(p2.json.messages.map((m) => m.seq), [4, 5]);
  assert.equal(p2.json.next_after, null);
  assert.equal((await api(token, 'GET', `/api/v1/conversations/${conv.id}/messages?limit=0`)).status, 422);

  // Another's or a made-up conversation id is "not found", for reading and for sending.
  const other = await registerPatient(ctx.browser, ctx.sink, admin, { first: 'Lies', last: 'Lammers', email: 'lies@example.test', password: 'Tulpenveld-8!' });
  const otherConv = new URL(other.url()).pathname.split('/').pop();
  // The operator makes a token for a provider with a low limit.
  ctx.server.admin(['create-staff', '--email', 'bram@delinde.test', '--name', 'Bram Bakker', '--role', 'provider']);
  const bram = ctx.server.admin(['create-token', '--login', 'bram@delinde.test', '--name', 'Loadtest', '--rate-per-minute', '5']);
  assert.match(bram, /^spk_/);
  assert.equal((await api(bram, 'GET', `/api/v1/conversations/${otherConv}/messages`)).status, 404);
  assert.equal((await api(bram, 'POST', `/api/v1/conversations/${otherConv}/messages`, { body: 'hoi' })).status, 404);
  assert.equal((await api(bram, 'GET', '/api/v1/conversations/not-an-id/messages')).status, 404);
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push((await api(bram, 'GET', '/api/v1/me')).status);
  assert.deepEqual(statuses.slice(0, 2), [200, 200]);
  assert.equal(statuses[2], 429, 'the sixth request in a minute waits');

  // The operator's token for an unknown account is refused.
  assert.throws(() => ctx.server.admin(['create-token', '--login', 'piet@example.test', '--name', 'x']));

  // The WebSocket takes a token instead of a cookie (and refuses a wrong one).
  const upgrade = (auth) => new Promise((resolve) => {
    const req = http.request(`${ctx.server.base}/ws`, {
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', Authorization: auth },
    });
    req.on('upgrade', (res, socket) => { socket.destroy(); resolve(res.statusCode); });
    req.on('response', (res) => resolve(res.statusCode));
    req.end();
  });
  assert.equal(await upgrade(`Bearer ${token}`), 101);
  assert.equal(await upgrade('Bearer spk_nope'), 401);

  // Files: the body is the file; a retry with the same key stores it once; the content
  // decides the type; members download it byte for byte, others get "not found".
  const raw = async (tok, method, url, body, headers = {}) => {
    const r = await fetch(ctx.server.base + url, { method, headers: { Authorization: `Bearer ${tok}`, ...headers }, body });
    return { status: r.status, headers: r.headers, bytes: Buffer.from(await r.arrayBuffer()) };
  };
  const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(200_000, 7)]);
  const up = await raw(token, 'POST', `/api/v1/conversations/${conv.id}/files`, pdf, { 'Content-Type': 'application/pdf', 'Idempotency-Key': 'his-file-1', 'X-File-Name': encodeURIComponent('labuitslag.pdf') });
  assert.equal(up.status, 201);
  const sent = JSON.parse(up.bytes.toString());
  assert.deepEqual([sent.file.name, sent.file.size, sent.file.kind, sent.file.content_type], ['labuitslag.pdf', pdf.length, 'pdf', 'application/pdf']);
  const upAgain = await raw(token, 'POST', `/api/v1/conversations/${conv.id}/files?name=labuitslag.pdf`, pdf, { 'Content-Type': 'application/pdf', 'Idempotency-Key': 'his-file-1' });
  assert.equal(upAgain.status, 200);
  assert.equal(JSON.parse(upAgain.bytes.toString()).id, sent.id, 'a retry finds the first');
  const fake = await raw(token, 'POST', `/api/v1/conversations/${conv.id}/files?name=scan.pdf`, Buffer.from('<html><script>x</script></html>'), { 'Content-Type': 'application/pdf' });
  assert.equal(fake.status, 422);
  assert.equal(JSON.parse(fake.bytes.toString()).error.code, 'invalid');
  const listed = await api(token, 'GET', `/api/v1/files?conversation=${conv.id}&kind=pdf`);
  assert.deepEqual(listed.json.map((f) => f.file.id), [sent.file.id]);
  assert.equal((await api(token, 'GET', '/api/v1/files?kind=exe')).status, 422);
  const down = await raw(token, 'GET', `/api/v1/files/${sent.file.id}`);
  assert.equal(down.status, 200);
  assert.deepEqual(down.bytes, pdf);
  assert.equal(down.headers.get('content-type'), 'application/pdf');
  assert.match(down.headers.get('content-disposition'), /^attachment; filename="labuitslag.pdf"/);
  const bramUnlimited = ctx.server.admin(['create-token', '--login', 'bram@delinde.test', '--name', 'Bestanden', '--rate-per-minute', '0']);
  assert.equal((await raw(bramUnlimited, 'GET', `/api/v1/files/${sent.file.id}`)).status, 404, 'not a member');
  assert.equal((await raw(bramUnlimited, 'GET', '/api/v1/files/not-an-id')).status, 404);
  assert.equal((await raw(bramUnlimited, 'POST', `/api/v1/conversations/${conv.id}/files?name=x.txt`, Buffer.from('hallo'))).status, 404);
  assert.deepEqual((await api(bramUnlimited, 'GET', '/api/v1/files')).json, []);
  const messages = await api(token, 'GET', `/api/v1/conversations/${conv.id}/messages?limit=500`);
  assert.equal(messages.json.messages.filter((m) => m.file && m.file.id === sent.file.id).length, 1, 'one message carries it');

  // A long conversation opens at its newest 50 messages, with a link to the earlier ones that
  // comes back to where the reader was.
  for (let i = 1; i <= 55; i++) {
    assert.equal((await api(token, 'POST', `/api/v1/conversations/${conv.id}/messages`, { body: `Regel ${i}` })).status, 201);
  }
  const total = (await api(token, 'GET', `/api/v1/conversations/${conv.id}/messages?limit=500`)).json.messages.length;
  assert.equal(total, 61, 'five messages, a file and 55 lines');
  await piet.goto(ctx.server.base + '/messenger');
  await piet.getByText('Regel 55', { exact: true }).waitFor();
  const shown = piet.locator('ol.messages li');
  assert.equal(await shown.count(), 50);
  assert.equal(await piet.getByText('Uw recept staat klaar.').count(), 0, 'the oldest waits behind the link');
  const firstShown = await shown.first().getAttribute('id');
  const earlier = piet.getByRole('link', { name: 'Eerdere berichten tonen' });
  await checkA11y(piet, 'a long conversation');
  await screenshots(piet, '44-long-conversation');
  await earlier.focus();
  await piet.keyboard.press('Enter');
  await piet.waitForURL((u) => u.search === '?shown=100' && u.hash === `#${firstShown}`);
  await piet.getByText('Uw recept staat klaar.').waitFor();
  assert.equal(await shown.count(), total);
  assert.equal(await earlier.count(), 0, 'nothing before the first');
  const inView = await piet.evaluate((id) => {
    const r = document.getElementById(id).getBoundingClientRect();
    return r.top >= 0 && r.top < window.innerHeight;
  }, firstShown);
  assert.ok(inView, 'the reader is where they were');
  // A number that is no number opens it as usual.
  await piet.goto(`${ctx.server.base}/messenger/${conv.id}?shown=veel`);
  assert.equal(await shown.count(), 50);

  // Revoked in Instellingen: refused at once.
  await admin.goto(ctx.server.base + '/settings');
  await admin.getByRole('button', { name: 'Intrekken: HIS-koppeling' }).click();
  await admin.getByText('De token is ingetrokken en werkt niet meer.').waitFor();
  assert.equal((await api(token, 'GET', '/api/v1/me')).status, 401);

  // The OpenAPI document is served, and names every route.
  const doc = await api(null, 'GET', '/api/v1/openapi.json');
  assert.equal(doc.status, 200);
  assert.match(doc.json.openapi, /^3\./);
  for (const p of ['/api/v1/me', '/api/v1/conversations', '/api/v1/conversations/{id}/messages', '/api/v1/conversations/{id}/files', '/api/v1/files', '/api/v1/files/{id}']) assert.ok(doc.json.paths[p], p);
});
