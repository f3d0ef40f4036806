// "Veilig mailen" with an sms code, on PostgreSQL: the sender chooses sms and gives a mobile
// number; the guest sees it only masked, asks "Stuur mij de code", and the code arrives at the
// practice's sms webhook (a local HTTP receiver that checks the HMAC-SHA-256 signature); a second
// request within the minute waits; a wrong code counts down; the code as pasted opens the thread.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import crypto from 'node:crypto';
import { practiceSuite } from '../lib/harness.mjs';
import { checkA11y, screenshots, PHONE } from '../lib/browser.mjs';
import { setUpPractice } from '../lib/journey.mjs';

const SECRET = 'sms-webhook-secret-for-the-test';
const received = [];
const receiver = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const expected = 'sha256=' + crypto.createHmac('sha256', SECRET).update(body).digest('hex');
    const given = req.headers['x-spreekuur-signature'] || '';
    const valid = given.length === expected.length && crypto.timingSafeEqual(Buffer.from(given), Buffer.from(expected));
    received.push({ valid, json: JSON.parse(body.toString('utf8')), type: req.headers['content-type'] });
    res.writeHead(valid ? 200 : 401).end();
  });
});
await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
after(() => receiver.close());

const ctx = practiceSuite({
  postgres: true,
  env: {
    SPREEKUUR_SMS_PROVIDER: 'webhook',
    SPREEKUUR_SMS_WEBHOOK_URL: `http://127.0.0.1:${receiver.address().port}/sms`,
    SPREEKUUR_SMS_WEBHOOK_SECRET: SECRET,
  },
});

async function waitForSms(count) {
  const deadline = Date.now() + 20000;
  while (received.length < count) {
    if (Date.now() > deadline) throw new Error(`expected ${count} text messages, got ${received.length}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return received[count - 1];
}

let signedIn = null;

test('a secure message opened with an sms code from the webhook', async () => {
  const staff = await ctx.newPage();
  signedIn = staff;
  await setUpPractice(staff, ctx.server);
  // The practice's rules: no expiry, no codes by e-mail, the subject in the notification.
  await staff.goto(ctx.server.base + '/practice');
  await staff.getByLabel('Dagen tot een beveiligd bericht verloopt').fill('-1');
  await staff.getByRole('button', { name: 'Opslaan' }).click();
  await staff.getByText('Vul een aantal dagen in van 0 tot 3650 (0 = verloopt niet).').waitFor();
  await staff.getByLabel('Dagen tot een beveiligd bericht verloopt').fill('0');
  await staff.getByLabel('Openen met een code per e-mail toestaan', { exact: false }).uncheck();
  await staff.getByLabel('Het onderwerp van het bericht in de e-mail zetten').check();
  await staff.getByRole('button', { name: 'Opslaan' }).click();
  await staff.waitForURL(/\/practice\?saved=1$/);
  await checkA11y(staff, 'practice with secure e-mail rules');
  await staff.goto(ctx.server.base + '/secure-mail');
  assert.equal(await staff.getByLabel('Code in een aparte e-mail', { exact: false }).count(), 0, 'no code by e-mail');
  await staff.getByLabel(/^E-mailadres/).fill('jan.devries@example.test');
  await staff.getByLabel('Sms-code naar een mobiel nummer').check();
  await staff.getByLabel('Mobiel nummer', { exact: true }).fill('06 12 34 56 78');
  await staff.getByLabel(/^Onderwerp/).fill('Uw afspraak');
  await staff.getByLabel(/^Bericht/).fill('Uw afspraak is verzet naar dinsdag.');
  const before = ctx.sink.messages.length;
  await staff.getByRole('button', { name: 'Versturen', exact: true }).click();
  await staff.getByText('Het beveiligde bericht is verstuurd.').waitFor();
  assert.equal(await staff.locator('.access-code').count(), 0, 'no access code to pass on');
  await staff.getByText('Verloopt niet.').waitFor();

  const mail = await ctx.sink.waitFor('jan.devries@example.test', (m) => ctx.sink.messages.indexOf(m) >= before);
  assert.match(mail.text, /code die wij u per sms sturen/);
  assert.equal(mail.headers.subject, 'Beveiligd bericht van Huisartsenpraktijk De Linde: Uw afspraak');
  const link = /<a href="([^"]+)"[^>]*>Open bericht<\/a>/.exec(mail.html)[1].replace(/&amp;/g, '&');

  const guest = await ctx.newPage({ viewport: PHONE });
  await guest.goto(link);
  await guest.getByText('Om het bericht te openen sturen wij u een code per sms naar 06 •• •• •• 78.').waitFor();
  assert.equal(await guest.getByText('12 34 56').count(), 0, 'the number is never shown whole');
  await checkA11y(guest, 'guest, sms');
  await screenshots(guest, '63-guest-sms');
  await guest.getByRole('button', { name: 'Stuur mij de code' }).click();
  await guest.getByText('De code is verstuurd naar 06 •• •• •• 78. Hij is 10 minuten geldig.').waitFor();
  const sms = await waitForSms(1);
  assert.equal(sms.valid, true, 'signed with the shared secret');
  assert.match(sms.type, /application\/json/);
  assert.equal(sms.json.to, '+31612345678');
  const code = /^(\d{6}) is uw code om het beveiligde bericht van Huisartsenpraktijk De Linde te openen\. Geldig tot \d\d:\d\d\.$/.exec(sms.json.text)?.[1];
  assert.ok(code, sms.json.text);
  assert.ok(!sms.json.text.includes('afspraak'), 'no content in the text message');
  await checkA11y(guest, 'guest, code sent');

  // Again within the minute: it waits, and says until when.
  await guest.getByRole('button', { name: 'Stuur mij een nieuwe code' }).click();
  await guest.getByText(/U kunt om \d\d:\d\d een nieuwe code laten sturen\./).waitFor();
  assert.equal(received.length, 1);

  const wrong = code === '000000' ? '111111' : '000000';
  await guest.getByLabel('Code (6 cijfers)').fill(wrong);
  await guest.getByRole('button', { name: 'Bericht openen' }).click();
  await guest.getByText('Deze code klopt niet. U kunt het nog 4 keer proberen.').waitFor();
  await checkA11y(guest, 'guest, wrong sms code');
  await guest.getByLabel('Code (6 cijfers)').fill(`${code.slice(0, 3)} ${code.slice(3)}`);
  await guest.getByRole('button', { name: 'Bericht openen' }).click();
  await guest.getByText('Uw afspraak is verzet naar dinsdag.').waitFor();
  // Used once: the same code does not open it in another browser.
  const other = await ctx.newPage({ viewport: PHONE });
  await other.goto(link);
  await other.getByLabel('Code (6 cijfers)').fill(code);
  await other.getByRole('button', { name: 'Bericht openen' }).click();
  await other.getByText('Deze code is al gebruikt. Laat een nieuwe code sturen.').waitFor();

  // "Stel de afzender op de hoogte": the sender is told, in Spreekuur and by e-mail without content.
  const told = ctx.sink.messages.length;
  await other.getByRole('button', { name: 'Is het telefoonnummer niet juist? Stel de afzender op de hoogte' }).click();
  await other.getByText('De afzender weet nu dat het telefoonnummer niet juist is en neemt contact met u op.').waitFor();
  await checkA11y(other, 'guest, wrong number reported');
  const notice = await ctx.sink.waitFor('anna@delinde.test', (m) => ctx.sink.messages.indexOf(m) >= told);
  assert.equal(notice.headers.subject, 'Een ontvanger meldt een onjuist telefoonnummer');
  for (const secret of ['jan.devries', 'afspraak', '612345678']) {
    assert.ok(!notice.text.includes(secret), `no content or address in the e-mail: ${secret}`);
  }
  await staff.reload();
  await staff.getByRole('row').filter({ hasText: 'jan.devries@example.test' }).getByText('geopend').waitFor();
  await staff.getByText('De ontvanger meldt dat dit mobiele nummer niet klopt.').waitFor();
});

/** Presses Tab until the focused element's label or text matches. */
async function tabTo(page, pattern) {
  const seen = [];
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el) return '';
      const label = el.id ? document.querySelector(`label[for="${el.id}"]`) : null;
      return (label ? label.innerText : '') + '|' + (el.innerText || el.value || '');
    });
    seen.push(focused);
    if (pattern.test(focused)) return;
  }
  throw new Error(`Tab never reached ${pattern}: ${seen.join(' ~ ')}`);
}

test('in English, with the keyboard alone: the guest opens with an access code and answers', async () => {
  // The administrator of the first test, still signed in.
  const staff = signedIn;
  await staff.goto(ctx.server.base + '/secure-mail');
  await staff.getByLabel(/^E-mailadres/).fill('sam.smith@example.test');
  await staff.getByLabel(/^Eigen toegangscode/).fill('Tulip-2024');
  await staff.getByLabel(/^Onderwerp/).fill('Your test results');
  await staff.getByLabel(/^Bericht/).fill('Dear Sam, your results are fine.');
  await staff.getByLabel('Taal van de e-mail').selectOption('en');
  const before = ctx.sink.messages.length;
  await staff.getByRole('button', { name: 'Versturen', exact: true }).click();
  await staff.getByText('Het beveiligde bericht is verstuurd.').waitFor();
  const mail = await ctx.sink.waitFor('sam.smith@example.test', (m) => ctx.sink.messages.indexOf(m) >= before);
  // The practice put subjects in notifications (the first test set it).
  assert.equal(mail.headers.subject, 'Secure message from Huisartsenpraktijk De Linde: Your test results');
  assert.match(mail.text, /Have you not received an access code\? Then please contact the sender\./);
  const link = /<a href="([^"]+)"[^>]*>Open message<\/a>/.exec(mail.html)[1].replace(/&amp;/g, '&');

  const guest = await ctx.newPage({ viewport: PHONE });
  await guest.goto(link);
  await guest.getByRole('heading', { name: 'Secure message' }).waitFor();
  await guest.getByText('Enter the access code you received from the sender.').waitFor();
  await checkA11y(guest, 'guest, code (en)');
  await tabTo(guest, /^Access code\|/);
  await guest.keyboard.type('tulip 2024');
  await guest.keyboard.press('Enter');
  await guest.getByText('Dear Sam, your results are fine.').waitFor();
  await checkA11y(guest, 'guest, thread (en)');
  await screenshots(guest, '65-guest-thread-en');
  await tabTo(guest, /^Your answer\|/);
  await guest.keyboard.type('Thank you!');
  await tabTo(guest, /\|Send$/);
  await guest.keyboard.press('Enter');
  await guest.getByText('Your answer has been sent.').waitFor();
  await guest.getByText('Thank you!').waitFor();
});

test('a code by e-mail, where the practice allows it: separate from the notification, used once', async () => {
  const staff = signedIn;
  await staff.goto(ctx.server.base + '/practice');
  await staff.getByLabel('Openen met een code per e-mail toestaan', { exact: false }).check();
  await staff.getByRole('button', { name: 'Opslaan' }).click();
  await staff.waitForURL(/\/practice\?saved=1$/);
  await staff.goto(ctx.server.base + '/secure-mail');
  await staff.getByLabel(/^E-mailadres/).fill('lotte@example.test');
  await staff.getByLabel('Code in een aparte e-mail', { exact: false }).check();
  await staff.getByLabel(/^Onderwerp/).fill('Herhaalrecept');
  await staff.getByLabel(/^Bericht/).fill('Uw herhaalrecept ligt klaar bij de apotheek.');
  const before = ctx.sink.messages.length;
  await staff.getByRole('button', { name: 'Versturen', exact: true }).click();
  await staff.getByText('Het beveiligde bericht is verstuurd.').waitFor();
  const notice = await ctx.sink.waitFor('lotte@example.test', (m) => ctx.sink.messages.indexOf(m) >= before);
  assert.match(notice.text, /code die wij u in een aparte e-mail sturen/);
  const link = /<a href="([^"]+)"[^>]*>Open bericht<\/a>/.exec(notice.html)[1].replace(/&amp;/g, '&');

  const guest = await ctx.newPage({ viewport: PHONE });
  await guest.goto(link);
  await guest.getByText('Om het bericht te openen sturen wij u een code in een aparte e-mail.').waitFor();
  const asked = ctx.sink.messages.length;
  await guest.getByRole('button', { name: 'Stuur mij de code' }).click();
  await guest.getByText('De code is per e-mail verstuurd. Hij is 10 minuten geldig.').waitFor();
  await checkA11y(guest, 'guest, e-mail code sent');
  // There is no number here to report as wrong.
  assert.equal(await guest.getByRole('button', { name: /telefoonnummer/ }).count(), 0);
  const codeMail = await ctx.sink.waitFor('lotte@example.test', (m) => ctx.sink.messages.indexOf(m) >= asked);
  assert.equal(codeMail.headers.subject, 'Uw code voor het beveiligde bericht van Huisartsenpraktijk De Linde');
  assert.ok(!codeMail.text.includes('herhaalrecept'), 'no content with the code');
  const code = /^\s{4}(\d{6})$/m.exec(codeMail.text)[1];
  await guest.getByLabel('Code (6 cijfers)').fill(code);
  await guest.getByRole('button', { name: 'Bericht openen' }).click();
  await guest.getByText('Uw herhaalrecept ligt klaar bij de apotheek.').waitFor();
});
