// "Sessiecode" (seed 004), done better: the code's request time is in the subject and on the
// screen, pasted codes with spaces, dashes or full-width digits work, a code is single use,
// wrong tries are counted, a new code is one click away (with a visible wait), and the step
// cannot be skipped by going straight to the messenger. (That a new code voids the old one,
// expiry after 10 minutes and the limit of 5 tries are proved with time passed in, in the
// store contract tests.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { practiceSuite } from '../lib/harness.mjs';
import { checkA11y, screenshots } from '../lib/browser.mjs';
import { registerPatient, sessionCode } from '../lib/journey.mjs';

const ctx = practiceSuite({ practice: true });

const fullWidth = (code) => [...code].map((d) => String.fromCharCode(0xff10 + Number(d))).join('');

async function passwordStep(page, p) {
  const before = ctx.sink.messages.length;
  await page.goto(ctx.server.base + '/login');
  await page.getByLabel('E-mailadres of gebruikersnaam').fill(p.email);
  await page.getByLabel('Wachtwoord').fill(p.password);
  await page.getByRole('button', { name: 'Inloggen', exact: true }).click();
  await page.getByRole('heading', { name: 'Sessiecode', exact: true }).waitFor();
  return before;
}

test('the session code signs a patient in, however it is pasted; wrong and old codes say so', async () => {
  const p = { first: 'Sara', last: 'Smit', email: 'sara@example.test', password: 'Woordje1!' };
  await registerPatient(ctx.browser, ctx.sink, ctx.staff, p);
  const page = await ctx.newPage();
  let before = await passwordStep(page, p);
  await page.getByText('U dient hieronder uw sessiecode in te voeren, deze heeft u ontvangen op uw e-mail adres.').waitFor();
  const { code, mail } = await sessionCode(ctx.sink, p.email, before);
  const time = /aangevraagd om (\d\d:\d\d)/.exec(mail.headers.subject)?.[1];
  assert.ok(time, `the subject says when the code was requested: ${mail.headers.subject}`);
  await page.getByText(`De code is aangevraagd om ${time} en is 10 minuten geldig. Alleen de nieuwste code werkt.`).waitFor();
  const input = page.getByLabel('Sessiecode (6 cijfers)');
  assert.equal(await input.getAttribute('autocomplete'), 'one-time-code');
  assert.equal(await input.getAttribute('inputmode'), 'numeric');
  await checkA11y(page, 'session code');
  await screenshots(page, '19-session-code');

  // Skipping the step by going straight to the messenger does not work.
  await page.goto(ctx.server.base + '/messenger');
  assert.match(page.url(), /\/login$/);
  await page.goto(ctx.server.base + '/session-code');

  // A wrong code is counted.
  const wrong = code === '000000' ? '111111' : '000000';
  await input.fill(wrong);
  await page.getByRole('button', { name: 'Doorgaan' }).click();
  await page.getByText('Deze code klopt niet. Je kunt het nog 4 keer proberen.').waitFor();
  await checkA11y(page, 'session code, wrong');
  // Too few digits are not a try at all.
  await page.getByLabel('Sessiecode (6 cijfers)').fill('12 34');
  await page.getByRole('button', { name: 'Doorgaan' }).click();
  await page.getByText('Vul de 6 cijfers uit de e-mail in.').waitFor();

  // "Geen sessiecode ontvangen?": a new code at once is refused with the time to wait.
  await page.getByRole('button', { name: 'Stuur mij een nieuwe code' }).click();
  await page.getByText(/Je kunt om \d\d:\d\d een nieuwe code aanvragen\./).waitFor();

  // Pasted with spaces and a dash, in full-width digits: accepted.
  await page.getByLabel('Sessiecode (6 cijfers)').fill(` ${fullWidth(code.slice(0, 3))} - ${code.slice(3)} `);
  await page.getByRole('button', { name: 'Doorgaan' }).click();
  await page.getByRole('heading', { name: 'Gesprek met Anna de Vries' }).waitFor();

  // The code was single use: a second sign-in needs its own, and only the newest works.
  const page2 = await ctx.newPage();
  before = await passwordStep(page2, p);
  const first = await sessionCode(ctx.sink, p.email, before);
  assert.notEqual(first.code, code);
  await page2.getByLabel('Sessiecode (6 cijfers)').fill(code);
  await page2.getByRole('button', { name: 'Doorgaan' }).click();
  await page2.getByText('Deze code klopt niet. Je kunt het nog 4 keer proberen.').waitFor();
});

test('the session code with the keyboard alone: Tab to the field, type the code with a space, Enter', async () => {
  const p = { first: 'Tom', last: 'Toets', email: 'tom@example.test', password: 'Woordje1!' };
  await registerPatient(ctx.browser, ctx.sink, ctx.staff, p);
  const page = await ctx.newPage();
  const before = await passwordStep(page, p);
  const { code } = await sessionCode(ctx.sink, p.email, before);
  // Keyboard only: Tab to the field, type, Enter.
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(() => document.activeElement?.id === 'code')) break;
  }
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'code');
  const pendingCookie = (await page.context().cookies()).find((c) => c.name === 'spreekuur_session');
  await page.keyboard.type(code.slice(0, 3) + ' ' + code.slice(3));
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Gesprek met Anna de Vries' }).waitFor();
  // Signed in, the session has a new cookie: the value from before the second step opens nothing.
  const fullCookie = (await page.context().cookies()).find((c) => c.name === 'spreekuur_session');
  assert.ok(pendingCookie && fullCookie, 'a session cookie before and after');
  assert.notEqual(fullCookie.value, pendingCookie.value, 'the cookie changed with the second step');
  const stale = await ctx.newPage();
  await stale.context().addCookies([pendingCookie]);
  await stale.goto(ctx.server.base + '/messenger');
  assert.match(stale.url(), /\/login$/);
});

test('wrong codes count per account across sign-ins: parallel guessing on many sessions is stopped', async () => {
  const p = { first: 'Gert', last: 'Gok', email: 'gert@example.test', password: 'Woordje1!' };
  await registerPatient(ctx.browser, ctx.sink, ctx.staff, p);
  // Whoever knows the password opens seven pending sign-ins, each with its own code.
  const sessions = [];
  for (let i = 0; i < 7; i++) {
    const page = await ctx.newPage();
    const before = await passwordStep(page, p);
    const { code } = await sessionCode(ctx.sink, p.email, before);
    const csrf = await page.locator('input[name=_csrf]').first().inputValue();
    sessions.push({ page, code, csrf });
  }
  const wrongFor = (code, i) => String((Number(code) + 1 + i) % 1000000).padStart(6, '0');
  // 24 wrong guesses over the first six, four each (a code's own limit is five), all at once.
  const answers = await Promise.all(sessions.slice(0, 6).flatMap((s) => [0, 1, 2, 3].map((i) =>
    s.page.request.post(ctx.server.base + '/session-code', { form: { code: wrongFor(s.code, i), _csrf: s.csrf }, maxRedirects: 0 }))));
  const statuses = answers.map((r) => r.status());
  const checked = statuses.filter((s) => s === 422).length;
  const refused = answers.filter((r) => r.status() === 429);
  // Five free; the sixth is counted, checked and starts the wait; the rest are not checked.
  assert.equal(checked, 5, `five answers checked before the account waits: ${statuses}`);
  assert.equal(checked + refused.length, 24, `every answer is either checked or refused: ${statuses}`);
  for (const r of refused) assert.ok(Number(r.headers()['retry-after']) >= 1, 'a refusal says when to try again');
  // The seventh sign-in's right code does not get through while the account waits.
  const last = sessions[6];
  const right = await last.page.request.post(ctx.server.base + '/session-code', { form: { code: last.code, _csrf: last.csrf }, maxRedirects: 0 });
  assert.equal(right.status(), 429, 'the right code is not checked while the account waits');
  assert.match(await right.text(), /Te veel verkeerde pogingen\. Probeer het opnieuw om \d\d:\d\d\./);
  await last.page.goto(ctx.server.base + '/messenger');
  assert.match(last.page.url(), /\/login$/, 'the seventh sign-in is not signed in');

  // Codes sent per account are limited too: ten go freely, the eleventh starts a wait, and the
  // twelfth sign-in this hour gets no e-mail and lands on "Sessiecode" with the time a new code
  // can be asked for.
  for (let i = 7; i < 11; i++) {
    const page = await ctx.newPage();
    const before = await passwordStep(page, p);
    await sessionCode(ctx.sink, p.email, before);
  }
  const page = await ctx.newPage();
  const before = await passwordStep(page, p);
  await page.getByText('Er zijn het afgelopen uur te veel sessiecodes naar dit account gestuurd. Daarom is er nu geen nieuwe code verstuurd.').waitFor();
  await page.getByText(/^Je kunt om \d\d:\d\d een nieuwe code aanvragen\.$/).waitFor();
  assert.equal(await page.getByLabel('Sessiecode (6 cijfers)').count(), 0, 'no field for a code that was not sent');
  await checkA11y(page, 'session code, too many codes');
  await screenshots(page, '19-session-code-limited');
  const resend = await page.request.post(ctx.server.base + '/session-code/new', { form: { _csrf: await page.locator('input[name=_csrf]').first().inputValue() }, maxRedirects: 0 });
  assert.equal(resend.status(), 429);
  await new Promise((r) => setTimeout(r, 500));
  const codeMails = ctx.sink.messages.filter((m, i) => i >= before && (m.headers.to || '').includes(p.email) && /sessiecode/i.test(m.headers.subject));
  assert.equal(codeMails.length, 0, 'no code e-mail was sent');
});

test('the practice can switch the second step off for patients', async () => {
  await ctx.staff.goto(ctx.server.base + '/practice');
  await ctx.staff.getByLabel('Tweede stap voor patiënten na het wachtwoord').selectOption('none');
  await ctx.staff.getByRole('button', { name: 'Opslaan' }).click();
  await ctx.staff.getByText('De praktijkgegevens zijn opgeslagen.').waitFor();
  await checkA11y(ctx.staff, 'practice settings');
  const page = await ctx.newPage();
  await page.goto(ctx.server.base + '/login');
  await page.getByLabel('E-mailadres of gebruikersnaam').fill('tom@example.test');
  await page.getByLabel('Wachtwoord').fill('Woordje1!');
  await page.getByRole('button', { name: 'Inloggen', exact: true }).click();
  await page.getByRole('heading', { name: 'Gesprek met Anna de Vries' }).waitFor();
});
