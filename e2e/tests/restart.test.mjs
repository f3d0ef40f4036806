// Codes and links are single use across a crash: the server is killed (SIGKILL) between sending
// a code or link and its use; afterwards two simultaneous submissions of it sign in or set a
// password exactly once, and after another crash the link still says it was used.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { practiceSuite } from '../lib/harness.mjs';
import { DESKTOP } from '../lib/browser.mjs';
import { registerPatient, sessionCode, passwordResetLink } from '../lib/journey.mjs';

const ctx = practiceSuite({ practice: true });

/** A second browser with the same cookies as `page` (the same pending sign-in). */
async function twin(page) {
  const context = await ctx.browser.newContext({ viewport: DESKTOP });
  await context.addCookies(await page.context().cookies());
  return context.newPage();
}

/** Posts the same form from both pages at the same moment; returns [status, location, body]. */
async function bothAtOnce(pages, url, form) {
  const answers = await Promise.all(pages.map(async (p) => {
    const csrf = await p.locator('input[name=_csrf]').first().inputValue();
    return p.request.post(url, { form: { ...form, _csrf: csrf }, maxRedirects: 0 });
  }));
  return Promise.all(answers.map(async (r) => [r.status(), r.headers().location || '', await r.text()]));
}

test('a session code sent before a crash signs in exactly once after it', async () => {
  const p = { first: 'Rita', last: 'Rust', email: 'rita@example.test', password: 'Herstart-2026!' };
  const page = await registerPatient(ctx.browser, ctx.sink, ctx.staff, p);
  await page.getByRole('button', { name: 'Uitloggen' }).click();
  const before = ctx.sink.messages.length;
  await page.getByLabel('E-mailadres of gebruikersnaam').fill(p.email);
  await page.getByLabel('Wachtwoord').fill(p.password);
  await page.getByRole('button', { name: 'Inloggen', exact: true }).click();
  await page.getByRole('heading', { name: 'Sessiecode', exact: true }).waitFor();
  const { code } = await sessionCode(ctx.sink, p.email, before);
  const other = await twin(page);
  await other.goto(ctx.server.base + '/session-code');

  await ctx.server.crashAndRestart();

  const answers = await bothAtOnce([page, other], ctx.server.base + '/session-code', { code });
  const signedIn = answers.filter(([status, to]) => status === 303 && /\/messenger/.test(to));
  assert.equal(signedIn.length, 1, `exactly one submission signs in: ${answers.map((a) => a.slice(0, 2))}`);
  // The winner got the session's new cookie; the other browser still holds the one from
  // before the second step, which opens nothing now.
  const [winner, loser] = answers[0] === signedIn[0] ? [page, other] : [other, page];
  await winner.goto(ctx.server.base + '/messenger');
  await winner.getByRole('heading', { name: /^Gesprek met/ }).waitFor();
  await loser.goto(ctx.server.base + '/messenger');
  assert.match(loser.url(), /\/login$/);
});

test('a reset link sent before a crash sets a password exactly once, and stays used after another', async () => {
  const p = { first: 'Sven', last: 'Stam', email: 'sven@example.test', password: 'Eerste-Woord1!' };
  await registerPatient(ctx.browser, ctx.sink, ctx.staff, p);
  const page = await ctx.newPage();
  const link = await passwordResetLink(page, ctx.server.base, ctx.sink, p.email);

  await ctx.server.crashAndRestart();

  await page.goto(link);
  const other = await ctx.newPage();
  await other.goto(link);
  const answers = await bothAtOnce([page, other], link, { password: 'Nieuw-Woord2!', password_confirmation: 'Nieuw-Woord2!' });
  const set = answers.filter(([status, , body]) => status === 200 && body.includes('Je nieuwe wachtwoord'));
  const refused = answers.filter(([status, , body]) => status === 422 && body.includes('Deze link is al gebruikt'));
  assert.deepEqual([set.length, refused.length], [1, 1], `one sets the password, the other is told the link was used: ${answers.map((a) => a.slice(0, 2))}`);

  await ctx.server.crashAndRestart();
  const late = await ctx.newPage();
  await late.goto(link);
  await late.getByText('Deze link is al gebruikt of vervangen door een nieuwere link.').waitFor();
});
