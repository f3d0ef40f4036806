// Another person's ids, on every route that takes one (pages, API): "not found", and nothing is
// read or changed. The strangers: a patient who is signed in (Vera), an administrator who is
// not in the team (Anna, for Planbureau's conversation), and a provider's token (Bram) for a
// conversation, a group and a file he is not in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { practiceSuite } from '../lib/harness.mjs';
import { ADMIN, setUpPractice, registerPatient } from '../lib/journey.mjs';
import { apiClient } from '../lib/api.mjs';

const ctx = practiceSuite();

const api = apiClient(() => ctx.server.base);

test("another person's ids are not found on any route, and nothing changes", async () => {
  const anna = await ctx.newPage();
  await setUpPractice(anna, ctx.server);
  ctx.server.admin(['create-staff', '--email', 'bram@delinde.test', '--name', 'Bram Bakker', '--role', 'provider']);
  const bram = ctx.server.admin(['create-token', '--login', 'bram@delinde.test', '--name', 'Proef', '--rate-per-minute', '0']);
  const annaToken = ctx.server.admin(['create-token', '--login', ADMIN.email, '--name', 'Proef', '--rate-per-minute', '0']);
  const piet = await registerPatient(ctx.browser, ctx.sink, anna, { first: 'Piet', last: 'Post', email: 'piet@example.test', password: 'Brievenbus-7!' });
  const vera = await registerPatient(ctx.browser, ctx.sink, anna, { first: 'Vera', last: 'Visser', email: 'vera@example.test', password: 'Vergeetmijniet-3!' });

  // What there is to find: Anna and Piet's conversation with a message and a file, a group
  // with Piet, and Piet's conversation with Planbureau (Bram's team, not Anna's).
  const convs = (await api(annaToken, 'GET', '/api/v1/conversations')).json;
  const direct = convs.find((c) => c.title === 'Piet Post').id;
  const withVera = convs.find((c) => c.title === 'Vera Visser').id;
  assert.equal((await api(annaToken, 'POST', `/api/v1/conversations/${direct}/messages`, { body: 'Uw uitslag is binnen.' })).status, 201);
  const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(5000, 7)]);
  const up = await api(annaToken, 'POST', `/api/v1/conversations/${direct}/files`, pdf, { 'Content-Type': 'application/pdf', 'X-File-Name': 'uitslag.pdf' });
  assert.equal(up.status, 201);
  const fileId = up.json.file.id;
  const pietId = (await api(annaToken, 'GET', `/api/v1/conversations/${direct}/members`)).json.find((m) => m.name === 'Piet Post').id;
  const veraId = (await api(annaToken, 'GET', `/api/v1/conversations/${withVera}/members`)).json.find((m) => m.name === 'Vera Visser').id;
  const bramId = (await api(bram, 'GET', '/api/v1/me')).json.id;
  assert.equal((await api(annaToken, 'PUT', `/api/v1/conversations/${direct}/external-id`, { external_id: 'EPD-1' })).status, 200);

  await anna.goto(ctx.server.base + '/groups/new');
  await anna.getByLabel('Naam van de groep').fill('Zorgteam Piet');
  await anna.getByLabel(/Piet Post/).check();
  await anna.getByRole('button', { name: 'Groep maken' }).click();
  await anna.getByText('De groep is gemaakt.').waitFor();
  const groupId = new URL(anna.url()).pathname.split('/')[2];
  await anna.goto(ctx.server.base + '/teams');
  await anna.getByLabel('Medewerker toevoegen aan Planbureau').selectOption({ label: 'Bram Bakker' });
  await anna.getByRole('region', { name: 'Planbureau' }).getByRole('button', { name: 'Toevoegen' }).click();
  await anna.getByRole('list', { name: 'Leden van Planbureau' }).getByText('Bram Bakker').waitFor();
  await piet.goto(ctx.server.base + '/contacts');
  await piet.getByRole('button', { name: 'Stuur bericht aan Planbureau' }).click();
  await piet.getByRole('heading', { name: 'Gesprek met Planbureau' }).waitFor();
  const teamConv = new URL(piet.url()).pathname.split('/')[2];
  await piet.getByRole('textbox', { name: 'Bericht' }).fill('Ik wil een afspraak verzetten.');
  await piet.getByRole('button', { name: 'Stuur' }).click();
  await piet.locator('.message.mine').filter({ hasText: 'afspraak verzetten' }).waitFor();

  const before = {
    direct: (await api(annaToken, 'GET', `/api/v1/conversations/${direct}/messages`)).json.messages.map((m) => m.id),
    members: (await api(annaToken, 'GET', `/api/v1/conversations/${groupId}/members`)).json.map((m) => m.id).sort(),
    files: (await api(annaToken, 'GET', '/api/v1/files')).json.map((f) => f.file.id),
  };

  // A page as the stranger sends it: their own session and their own valid CSRF token.
  const csrfOf = async (page) => {
    await page.goto(ctx.server.base + '/settings');
    return page.locator('input[name="_csrf"]').first().inputValue();
  };
  const asPage = (page, csrf) => ({
    get: async (url) => (await page.request.get(ctx.server.base + url, { maxRedirects: 0 })).status(),
    post: async (url, form = {}) => (await page.request.post(ctx.server.base + url, { form: { _csrf: csrf, ...form }, maxRedirects: 0 })).status(),
    upload: async (url) => (await page.request.post(ctx.server.base + url, {
      headers: { 'X-CSRF-Token': csrf, 'X-File-Name': 'x.pdf', 'Content-Type': 'application/pdf' }, data: pdf, maxRedirects: 0,
    })).status(),
  });

  // Vera, a patient, on the pages.
  const v = asPage(vera, await csrfOf(vera));
  const veraTries = {
    [`GET /messenger/${direct}`]: () => v.get(`/messenger/${direct}`),
    [`GET /messenger/${groupId}`]: () => v.get(`/messenger/${groupId}`),
    [`GET /messenger/${teamConv}`]: () => v.get(`/messenger/${teamConv}`),
    'POST /messenger/{id}': () => v.post(`/messenger/${direct}`, { body: 'Ik lees mee', client_id: 'c-vera-1' }),
    'POST /messenger/{id}/files': () => v.upload(`/messenger/${direct}/files`),
    'POST /messenger/{id}/take': () => v.post(`/messenger/${teamConv}/take`),
    'POST /messenger/{id}/hand-over': () => v.post(`/messenger/${teamConv}/hand-over`, { to: veraId }),
    'GET /files/{id}': () => v.get(`/files/${fileId}`),
    'GET /groups/{id}': () => v.get(`/groups/${groupId}`),
    'POST /groups/{id}/members': () => v.post(`/groups/${groupId}/members`, { member: veraId }),
    'POST /groups/{id}/members/{user}/remove': () => v.post(`/groups/${groupId}/members/${pietId}/remove`),
  };
  for (const [what, attempt] of Object.entries(veraTries)) assert.equal(await attempt(), 404, `Vera: ${what}`);

  // Anna, an administrator, is no member of Planbureau: its conversation is not hers.
  const a = asPage(anna, await csrfOf(anna));
  const annaTries = {
    'GET /messenger/{team conversation}': () => a.get(`/messenger/${teamConv}`),
    'POST /messenger/{team conversation}': () => a.post(`/messenger/${teamConv}`, { body: 'Ik kijk even mee', client_id: 'c-anna-1' }),
    'POST /messenger/{id}/files': () => a.upload(`/messenger/${teamConv}/files`),
    'POST /messenger/{id}/take': () => a.post(`/messenger/${teamConv}/take`),
    'POST /messenger/{id}/hand-over': () => a.post(`/messenger/${teamConv}/hand-over`, { to: bramId }),
  };
  for (const [what, attempt] of Object.entries(annaTries)) assert.equal(await attempt(), 404, `Anna: ${what}`);

  // Bram's token, for the conversation and the group he is not in, and the file in it.
  for (const conv of [direct, groupId]) {
    const bramTries = {
      'GET messages': () => api(bram, 'GET', `/api/v1/conversations/${conv}/messages`),
      'POST messages': () => api(bram, 'POST', `/api/v1/conversations/${conv}/messages`, { body: 'hallo' }),
      'POST files': () => api(bram, 'POST', `/api/v1/conversations/${conv}/files`, pdf, { 'Content-Type': 'application/pdf', 'X-File-Name': 'x.pdf' }),
      'GET members': () => api(bram, 'GET', `/api/v1/conversations/${conv}/members`),
      'POST members': () => api(bram, 'POST', `/api/v1/conversations/${conv}/members`, { member: bramId }),
      'DELETE members/{id}': () => api(bram, 'DELETE', `/api/v1/conversations/${conv}/members/${pietId}`),
      'PUT external-id': () => api(bram, 'PUT', `/api/v1/conversations/${conv}/external-id`, { external_id: 'EPD-2' }),
      'GET files?conversation=': () => api(bram, 'GET', `/api/v1/files?conversation=${conv}`),
    };
    for (const [what, attempt] of Object.entries(bramTries)) assert.equal((await attempt()).status, 404, `Bram: ${what} of ${conv === direct ? 'the 1:1' : 'the group'}`);
  }
  assert.equal((await api(bram, 'GET', `/api/v1/files/${fileId}`)).status, 404, 'Bram: GET /api/v1/files/{id}');
  assert.deepEqual((await api(bram, 'GET', '/api/v1/conversations?external_id=EPD-1')).json, [], 'Bram finds nothing by external id');
  assert.deepEqual((await api(bram, 'GET', '/api/v1/files')).json, [], 'and lists no files');

  // Nothing changed: the same messages, members and files; the external id is Anna's; Piet
  // sees his team conversation as he left it, still untaken.
  assert.deepEqual((await api(annaToken, 'GET', `/api/v1/conversations/${direct}/messages`)).json.messages.map((m) => m.id), before.direct);
  assert.deepEqual((await api(annaToken, 'GET', `/api/v1/conversations/${groupId}/members`)).json.map((m) => m.id).sort(), before.members);
  assert.deepEqual((await api(annaToken, 'GET', '/api/v1/files')).json.map((f) => f.file.id), before.files);
  assert.deepEqual((await api(annaToken, 'GET', '/api/v1/conversations?external_id=EPD-1')).json.map((c) => c.id), [direct]);
  await piet.goto(`${ctx.server.base}/messenger/${teamConv}`);
  assert.equal(await piet.locator('.message').count(), 1);
  const members = (await api(bram, 'GET', `/api/v1/conversations/${teamConv}/members`)).json.map((m) => m.name).sort();
  assert.deepEqual(members, ['Bram Bakker', 'Piet Post'], 'nobody joined the team conversation');
});
