// "Sessiecode" (seed 004), done better: the code's request time is in the subject and on the
// screen, pasted codes with spaces, dashes or full-width digits work, a code is single use,
// wrong tries are counted, a new code is one click away (with a visible wait), and the step
// cannot be skipped by going straight to the messenger. (That a new code voids the old one,
// expiry after 10 minutes and the limit of 5 tries are proved with time passed in, in the
// store contract tests.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSmtpSink } from '../lib/smtp-sink.mjs';
import { startServer } from '../lib/server.mjs';
import { launch, checkA11y, screenshots, DESKTOP } from '../lib/browser.mjs';
import { setUpPractice, registerPatient, sessionCode } from '../lib/journey.mjs';

let sink, server, browser, staff;
before(async () => {
  sink = await startSmtpSink();
  server = await startServer({ smtpUrl: sink.url });
  browser = await launch();
  staff = await (await browser.newContext({ viewport: DESKTOP })).newPage();
  await setUpPractice(staff, server);
});
after(async () => {
  await browser?.close();
  await server?.stop();
  await sink?.close();
});

const fullWidth = (code) => [...code].map((d) => String.fromCharCode(0xff10 + Number(d))).join('');

async function passwordStep(page, p) {
  const before = sink.messages.length;
  await page.goto(server.base + '/login');
  await page.getByLabel('E-mailadres of gebruikersnaam').fill(p.email);
  await page.getByLabel('Wachtwoord').fill(p.password);
  await page.getByRole('button', { name: 'Inloggen', exact: true }).click();
  await page.getByRole('heading', { name: 'Sessiecode', exact: true }).waitFor();
  return before;
}

test('the session code signs a patient in, however it is pasted; wrong and old codes say so', async () => {
  const p = { first: 'Sara', last: 'Smit', email: 'sara@example.test', password: 'Woordje1!' };
  await registerPatient(browser, sink, staff, p);
  const page = await (await browser.newContext({ viewport: DESKTOP })).newPage();
  let before = await passwordStep(page, p);
  await page.getByText('U dient hieronder uw sessiecode in te voeren, deze heeft u ontvangen op uw e-mail adres.').waitFor();
  const { code, mail } = await sessionCode(sink, p.email, before);
  const time = /aangevraagd om (\d\d:\d\d)/.exec(mail.headers.subject)?.[1];
  assert.ok(time, `the subject says when the code was requested: ${mail.headers.subject}`);
  await page.getByText(`De code is aangevraagd om ${time} en is 10 minuten geldig. Alleen de nieuwste code werkt.`).waitFor();
  const input = page.getByLabel('Sessiecode (6 cijfers)');
  assert.equal(await input.getAttribute('autocomplete'), 'one-time-code');
  assert.equal(await input.getAttribute('inputmode'), 'numeric');
  await checkA11y(page, 'session code');
  await screenshots(page, '19-session-code');

  // Skipping the step by going straight to the messenger does not work.
  await page.goto(server.base + '/messenger');
  assert.match(page.url(), /\/login$/);
  await page.goto(server.base + '/session-code');

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
  const page2 = await (await browser.newContext({ viewport: DESKTOP })).newPage();
  before = await passwordStep(page2, p);
  const first = await sessionCode(sink, p.email, before);
  assert.notEqual(first.code, code);
  await page2.getByLabel('Sessiecode (6 cijfers)').fill(code);
  await page2.getByRole('button', { name: 'Doorgaan' }).click();
  await page2.getByText('Deze code klopt niet. Je kunt het nog 4 keer proberen.').waitFor();
});

test('the session code with the keyboard alone: Tab to the field, type the code with a space, Enter', async () => {
  const p = { first: 'Tom', last: 'Toets', email: 'tom@example.test', password: 'Woordje1!' };
  await registerPatient(browser, sink, staff, p);
  const page = await (await browser.newContext({ viewport: DESKTOP })).newPage();
  const before = await passwordStep(page, p);
  const { code } = await sessionCode(sink, p.email, before);
  // Keyboard only: Tab to the field, type, Enter.
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(() => document.activeElement?.id === 'code')) break;
  }
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'code');
  await page.keyboard.type(code.slice(0, 3) + ' ' + code.slice(3));
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Gesprek met Anna de Vries' }).waitFor();
});

test('the practice can switch the second step off for patients', async () => {
  await staff.goto(server.base + '/practice');
  await staff.getByLabel('Tweede stap voor patiënten na het wachtwoord').selectOption('none');
  await staff.getByRole('button', { name: 'Opslaan' }).click();
  await staff.getByText('De praktijkgegevens zijn opgeslagen.').waitFor();
  await checkA11y(staff, 'practice settings');
  const page = await (await browser.newContext({ viewport: DESKTOP })).newPage();
  await page.goto(server.base + '/login');
  await page.getByLabel('E-mailadres of gebruikersnaam').fill('tom@example.test');
  await page.getByLabel('Wachtwoord').fill('Woordje1!');
  await page.getByRole('button', { name: 'Inloggen', exact: true }).click();
  await page.getByRole('heading', { name: 'Gesprek met Anna de Vries' }).waitFor();
});
