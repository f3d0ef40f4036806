// The API for practice systems beyond messages: an administrator's token provisions staff (a
// link to set a password) and patients (the usual invitation), lists tokens and sets their
// rate; conversations carry an external id that is set and searched; members are listed; every
// other token is refused what is not its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { practiceSuite } from '../lib/harness.mjs';
import { ADMIN, setUpPractice } from '../lib/journey.mjs';
import { apiClient } from '../lib/api.mjs';

const ctx = practiceSuite();
const api = apiClient(() => ctx.server.base);

test('provisioning, token rates, external ids and members over the API', async () => {
  const anna = await ctx.newPage();
  await setUpPractice(anna, ctx.server);
  const his = ctx.server.admin(['create-token', '--login', ADMIN.email, '--name', 'HIS', '--rate-per-minute', '0']);

  // Staff from the practice system: an account, and an e-mail with a link to set a password.
  const bram = await api(his, 'POST', '/api/v1/accounts', { role: 'provider', first_name: 'Bram', last_name: 'Bakker', email: 'bram@delinde.test' });
  assert.equal(bram.status, 201);
  assert.match(bram.json.account, /^[0-9a-f-]{36}$/);
  await ctx.sink.waitFor('bram@delinde.test', (m) => /wachtwoord/i.test(m.text));
  assert.equal((await api(his, 'POST', '/api/v1/accounts', { role: 'assistant', first_name: 'B', last_name: 'B', email: 'bram@delinde.test' })).status, 409);
  assert.equal((await api(his, 'POST', '/api/v1/accounts', { role: 'chef', first_name: 'C', last_name: 'C', email: 'c@delinde.test' })).status, 422);
  assert.equal((await api(his, 'POST', '/api/v1/accounts', { role: 'provider', first_name: '', last_name: 'C', email: 'geen-adres' })).status, 422);
  // A patient from the practice system: the invitation, with its note; they register themselves.
  const piet = await api(his, 'POST', '/api/v1/accounts', { role: 'patient', first_name: 'Piet', last_name: 'Post', email: 'piet@example.test', note: 'Welkom bij de praktijk.' });
  assert.equal(piet.status, 201);
  assert.ok(piet.json.invitation && !piet.json.account);
  await ctx.sink.waitFor('piet@example.test', (m) => /Uitnodiging accepteren/.test(m.html || ''));

  // Tokens: the administrator sees every live token and sets a rate; others may not.
  const bramToken = ctx.server.admin(['create-token', '--login', 'bram@delinde.test', '--name', 'Agenda']);
  const list = await api(his, 'GET', '/api/v1/tokens');
  assert.equal(list.status, 200);
  const agenda = list.json.find((t) => t.name === 'Agenda');
  assert.equal(agenda.account_name, 'Bram Bakker');
  assert.ok(!JSON.stringify(list.json).includes('spk_'), 'never a secret');
  assert.equal((await api(his, 'PATCH', `/api/v1/tokens/${agenda.id}`, { rate_per_minute: 2 })).status, 204);
  const tries = [];
  for (let i = 0; i < 3; i++) tries.push((await api(bramToken, 'GET', '/api/v1/me')).status);
  assert.deepEqual(tries, [200, 200, 429], 'the new rate holds');
  const limited = await fetch(ctx.server.base + '/api/v1/me', { headers: { Authorization: `Bearer ${bramToken}` } });
  assert.equal(limited.status, 429);
  const wait = Number(limited.headers.get('retry-after'));
  assert.ok(wait >= 1 && wait <= 60, `Retry-After says when the minute is over: ${wait}`);
  assert.equal((await api(his, 'PATCH', `/api/v1/tokens/${agenda.id}`, { rate_per_minute: 0 })).status, 204);
  assert.equal((await api(bramToken, 'GET', '/api/v1/me')).status, 200, 'no limit any more');
  assert.equal((await api(his, 'PATCH', `/api/v1/tokens/${agenda.id}`, { rate_per_minute: -1 })).status, 422);
  // A token cannot lower its own limit and lock itself out.
  const own = list.json.find((t) => t.name === 'HIS');
  const self = await api(his, 'PATCH', `/api/v1/tokens/${own.id}`, { rate_per_minute: 1 });
  assert.equal(self.status, 403, 'forbidden to this token, not malformed');
  assert.match(self.json.error.message, /cannot change its own rate limit/);
  assert.equal((await api(his, 'PATCH', '/api/v1/tokens/0190c0de-0000-7000-8000-000000000000', { rate_per_minute: 5 })).status, 404);
  assert.equal((await api(bramToken, 'PATCH', `/api/v1/tokens/${agenda.id}`, { rate_per_minute: 0 })).status, 403);
  assert.equal((await api(bramToken, 'GET', '/api/v1/tokens')).status, 403);
  assert.equal((await api(bramToken, 'POST', '/api/v1/accounts', { role: 'admin', first_name: 'X', last_name: 'Y', email: 'x@delinde.test' })).status, 403);

  // External ids: set on a conversation, searched, refused when malformed or not one's own.
  const conv = await api(his, 'POST', '/api/v1/conversations', { member: bram.json.account });
  assert.equal(conv.status, 201);
  const set = await api(his, 'PUT', `/api/v1/conversations/${conv.json.id}/external-id`, { external_id: ' EPD-4711 ' });
  assert.deepEqual([set.status, set.json], [200, { external_id: 'EPD-4711' }]);
  assert.deepEqual((await api(his, 'GET', '/api/v1/conversations?external_id=EPD-4711')).json.map((c) => c.id), [conv.json.id]);
  assert.deepEqual((await api(bramToken, 'GET', '/api/v1/conversations?external_id=EPD-4711')).json.map((c) => c.id), [conv.json.id]);
  assert.deepEqual((await api(his, 'GET', '/api/v1/conversations?external_id=EPD-0000')).json, []);
  assert.equal((await api(his, 'PUT', `/api/v1/conversations/${conv.json.id}/external-id`, { external_id: 'x'.repeat(65) })).status, 422);
  assert.equal((await api(his, 'PUT', `/api/v1/conversations/${conv.json.id}/external-id`, { external_id: 'a\u0007b' })).status, 422);
  // Members: listed for members; a 1:1 is no group to add to or remove from (a conflict with
  // what it is: its members know it exists).
  const members = await api(bramToken, 'GET', `/api/v1/conversations/${conv.json.id}/members`);
  assert.deepEqual(members.json.map((m) => [m.name, m.role]).sort(), [['Anna de Vries', 'admin'], ['Bram Bakker', 'provider']]);
  const notGroup = await api(his, 'POST', `/api/v1/conversations/${conv.json.id}/members`, { member: bram.json.account });
  assert.deepEqual([notGroup.status, notGroup.json.error.code], [409, 'conflict']);
  assert.equal((await api(his, 'DELETE', `/api/v1/conversations/${conv.json.id}/members/${bram.json.account}`)).status, 409);

  // A third colleague, not in it, finds nothing of it.
  const carla = await api(his, 'POST', '/api/v1/accounts', { role: 'assistant', first_name: 'Carla', last_name: 'Claes', email: 'carla@delinde.test' });
  const carlaToken = ctx.server.admin(['create-token', '--login', 'carla@delinde.test', '--name', 'x', '--rate-per-minute', '0']);
  assert.ok(carla.json.account);
  assert.deepEqual((await api(carlaToken, 'GET', '/api/v1/conversations?external_id=EPD-4711')).json, []);
  for (const [method, url, body] of [
    ['GET', `/api/v1/conversations/${conv.json.id}/members`],
    ['POST', `/api/v1/conversations/${conv.json.id}/members`, { member: carla.json.account }],
    ['DELETE', `/api/v1/conversations/${conv.json.id}/members/${bram.json.account}`],
    ['PUT', `/api/v1/conversations/${conv.json.id}/external-id`, { external_id: 'EPD-1' }],
    ['GET', '/api/v1/conversations/not-an-id/members'],
  ]) {
    assert.equal((await api(carlaToken, method, url, body)).status, 404, `${method} ${url}`);
  }
  assert.equal((await api(his, 'GET', '/api/v1/conversations?external_id=EPD-4711')).json.length, 1, 'unchanged');

  // Groups: the API makes one as the Groepen page does, with the same rules.
  const group = await api(his, 'POST', '/api/v1/groups', { name: '  Overleg   diabetes ', members: [bram.json.account, carla.json.account, bram.json.account] });
  assert.equal(group.status, 201);
  assert.equal(group.json.title, 'Overleg diabetes');
  const inGroup = await api(carlaToken, 'GET', `/api/v1/conversations/${group.json.id}/members`);
  assert.deepEqual(inGroup.json.map((m) => m.name).sort(), ['Anna de Vries', 'Bram Bakker', 'Carla Claes']);
  assert.equal((await api(carlaToken, 'POST', `/api/v1/conversations/${group.json.id}/messages`, { body: 'Ik kijk mee.' })).status, 201);
  await anna.goto(ctx.server.base + '/groups');
  await anna.getByRole('link', { name: 'Overleg diabetes', exact: true }).waitFor();
  for (const [what, body, status] of [
    ['a name of white space', { name: ' \t ', members: [bram.json.account] }, 422],
    ['a name too long', { name: 'x'.repeat(81), members: [bram.json.account] }, 422],
    ['nobody', { name: 'Leeg', members: [] }, 422],
    ['no account', { name: 'Niemand', members: ['0190c0de-0000-7000-8000-000000000000'] }, 404],
    ['no id', { name: 'Niemand', members: ['bram'] }, 404],
    ['no members field', { name: 'Leeg' }, 422],
  ]) {
    const r = await api(his, 'POST', '/api/v1/groups', body);
    assert.equal(r.status, status, what);
    assert.equal(typeof r.json.error.message, 'string', what);
  }

  // Every refusal under /api/ is JSON in the documented shape, also those made before a
  // handler: a body that is no JSON, not sent as JSON, too large; a query that cannot be read;
  // a route or method that does not exist.
  const raw = async (method, url, headers = {}, body = undefined) => {
    const r = await fetch(ctx.server.base + url, { method, headers: { Authorization: `Bearer ${his}`, ...headers }, body });
    const text = await r.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* stays null */ }
    return { status: r.status, type: r.headers.get('content-type'), allow: r.headers.get('allow'), json };
  };
  const asJson = { 'Content-Type': 'application/json' };
  for (const [what, method, url, headers, body, status, code] of [
    ['not JSON', 'POST', '/api/v1/groups', asJson, '{"name":', 400, 'invalid'],
    ['no Content-Type', 'POST', '/api/v1/groups', {}, '{"name":"x","members":[]}', 415, 'unsupported_media_type'],
    ['as text', 'POST', '/api/v1/conversations', { 'Content-Type': 'text/plain' }, '{"member":"x"}', 415, 'unsupported_media_type'],
    ['an unknown field', 'POST', `/api/v1/conversations/${conv.json.id}/messages`, asJson, '{"body":"hoi","colour":"red"}', 422, 'invalid'],
    ['a string for a number', 'PATCH', `/api/v1/tokens/${agenda.id}`, asJson, '{"rate_per_minute":"5"}', 422, 'invalid'],
    ['too large', 'POST', '/api/v1/groups', asJson, JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024), members: [] }), 413, 'too_large'],
    ['a query that is no number', 'GET', '/api/v1/files?limit=veel', {}, undefined, 400, 'invalid'],
    ['a negative cursor', 'GET', `/api/v1/conversations/${conv.json.id}/messages?after=-1`, {}, undefined, 422, 'invalid'],
    ['NUL in the query', 'GET', '/api/v1/conversations?external_id=a%00b', {}, undefined, 400, 'invalid'],
    ['no such route', 'GET', '/api/v1/nothing-here', {}, undefined, 404, 'not_found'],
    ['no such version', 'POST', '/api/v2/conversations', asJson, '{}', 404, 'not_found'],
    ['a method the route has not', 'DELETE', '/api/v1/me', {}, undefined, 405, 'method_not_allowed'],
  ]) {
    const r = await raw(method, url, headers, body);
    assert.equal(r.status, status, what);
    assert.equal(r.type, 'application/json', what);
    assert.equal(r.json?.error?.code, code, what);
    assert.equal(typeof r.json.error.message, 'string', what);
    if (status === 405) assert.match(r.allow, /GET/, 'Allow names the methods there are');
  }
  // A number without a fraction is an integer, as JSON Schema counts them.
  assert.equal((await raw('PATCH', `/api/v1/tokens/${agenda.id}`, asJson, '{"rate_per_minute":1601.0}')).status, 204);

  // The OpenAPI document describes all of it: every route, one operationId each, the bearer
  // scheme on every operation, query parameters in the query, the file as bytes.
  const doc = await (await fetch(ctx.server.base + '/api/v1/openapi.json')).json();
  for (const p of ['/api/v1/accounts', '/api/v1/tokens', '/api/v1/tokens/{id}', '/api/v1/conversations/{id}/members', '/api/v1/conversations/{id}/members/{member}', '/api/v1/conversations/{id}/external-id', '/api/v1/groups']) {
    assert.ok(doc.paths[p], p);
  }
  assert.deepEqual(doc.security, [{ bearer: [] }]);
  assert.equal(doc.components.securitySchemes.bearer.scheme, 'bearer');
  const ids = Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
  assert.equal(new Set(ids).size, ids.length, `unique operationIds: ${ids}`);
  const params = doc.paths['/api/v1/files'].get.parameters;
  assert.deepEqual(params.map((q) => [q.name, q.in]), [['conversation', 'query'], ['kind', 'query'], ['limit', 'query']]);
  assert.equal(doc.paths['/api/v1/conversations/{id}/files'].post.requestBody.content['application/octet-stream'].schema.format, 'binary');
});
