// "Veilig mailen" (seed 003), first step: an assistant sends a secure message to someone
// without an account; the notification (no content, the red "Open bericht") arrives in the test
// SMTP server; the guest opens it on a phone with the access code, after a wrong one, reads it
// and answers; the sender sees the answer as unread and answers; a second notification opens
// the same thread. Dutch, SQLite, axe-core on every page, the guest's pages at 390 px.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { practiceSuite } from '../lib/harness.mjs';
import { checkA11y, screenshots, eventually, PHONE } from '../lib/browser.mjs';
import { setUpPractice, PRACTICE } from '../lib/journey.mjs';

const ctx = practiceSuite();

async function notification(sink, email, after) {
  const mail = await sink.waitFor(email, (m) => sink.messages.indexOf(m) >= after);
  assert.equal(mail.headers.subject, `Beveiligd bericht van ${PRACTICE.name}`);
  assert.ok(mail.headers.from.includes(PRACTICE.name), mail.headers.from);
  assert.match(mail.headers['content-type'], /multipart\/alternative/i);
  const href = /<a href="([^"]+)"[^>]*>Open bericht<\/a>/.exec(mail.html);
  assert.ok(href, 'the HTML part has the button "Open bericht"');
  const link = href[1].replace(/&amp;/g, '&');
  assert.ok(mail.text.includes(link), 'the text part carries the same link');
  for (const secret of ['Uitslag bloedonderzoek', 'cholesterol', 'Bedankt']) {
    assert.ok(!mail.text.includes(secret) && !mail.html.includes(secret), `no content in the e-mail: ${secret}`);
  }
  return { mail, link };
}

test('a secure message to a guest: access code, read, answer, and the answer back', async () => {
  const staff = await ctx.newPage();
  await setUpPractice(staff, ctx.server);
  await staff.getByRole('link', { name: 'Veilig mailen' }).click();
  await staff.getByRole('heading', { name: 'Veilig mailen', level: 1 }).waitFor();
  await staff.getByText('Er zijn nog geen beveiligde berichten verstuurd.').waitFor();
  await checkA11y(staff, 'secure mail, empty');

  // Every broken rule at once, nothing sent.
  await staff.getByLabel(/^E-mailadres/).fill('geen-adres');
  await staff.getByLabel(/^Eigen toegangscode/).fill('abc');
  await staff.getByRole('button', { name: 'Versturen', exact: true }).click();
  await staff.getByText('Een toegangscode heeft minstens 6 letters of cijfers.').waitFor();
  await staff.getByText('Vul een onderwerp in.').waitFor();
  await staff.getByText('Schrijf een bericht.').waitFor();
  await checkA11y(staff, 'secure mail, errors');

  // A crafted form with a recipient row past the limit is refused whole, nothing sent.
  const csrf = await staff.locator('input[name="_csrf"]').first().inputValue();
  const crafted = await staff.request.post(ctx.server.base + '/secure-mail', {
    form: { _csrf: csrf, r0_email: 'a@example.test', r0_method: 'access_code', r1000_email: 'b@example.test', r1000_method: 'access_code', subject: 'x', text: 'y' },
  });
  assert.equal(crafted.status(), 422);
  assert.match(await crafted.text(), /Een bericht kan naar hoogstens 1000 ontvangers\./);
  // "Nog een ontvanger toevoegen" keeps what was typed and adds a row.
  await staff.getByLabel(/^E-mailadres/).fill('marie.jansen@example.test');
  await staff.getByLabel(/^Eigen toegangscode/).fill('');
  await staff.getByRole('button', { name: 'Nog een ontvanger toevoegen' }).click();
  await staff.getByRole('group', { name: 'Ontvanger 2' }).waitFor();
  assert.equal(await staff.locator('#r0_email').inputValue(), 'marie.jansen@example.test');
  await staff.locator('#r1_email').fill('kees@example.test');
  await staff.locator('#r1_code').fill('geboorte-1951');
  await staff.locator('#r1_cc').check();
  await staff.getByLabel(/^Onderwerp/).fill('Uitslag bloedonderzoek <script>alert(1)</script>');
  await staff.getByLabel(/^Bericht/).fill('Beste mevrouw Jansen,\n\nUw cholesterol is goed.');
  const before = ctx.sink.messages.length;
  await staff.getByRole('button', { name: 'Versturen', exact: true }).click();
  await staff.getByText('Het beveiligde bericht is verstuurd.').waitFor();
  // The generated code is shown once; the sender's own code is not shown again.
  const code = (await staff.locator('.access-code .code').innerText()).trim();
  assert.match(code, /^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$/);
  assert.equal(await staff.locator('.access-code').count(), 1);
  await staff.getByRole('heading', { name: 'Uitslag bloedonderzoek <script>alert(1)</script>' }).waitFor();
  await staff.getByRole('row').filter({ hasText: 'marie.jansen@example.test' }).getByText(/^(verzonden|afgeleverd)$/).waitFor();
  await checkA11y(staff, 'secure mail, sent');
  await screenshots(staff, '60-secure-mail-sent');
  // Shown once: a reload sends nothing again and shows the code no more.
  await staff.reload();
  await staff.getByRole('heading', { name: 'Ontvangers' }).waitFor();
  assert.equal(await staff.locator('.access-code').count(), 0);

  const { link } = await notification(ctx.sink, 'marie.jansen@example.test', before);
  const kees = await notification(ctx.sink, 'kees@example.test', before);
  // The relay (the test's SMTP server) took both: the sender sees "afgeleverd".
  await eventually(async () => {
    await staff.reload();
    return (await staff.getByRole('row').filter({ hasText: 'kees@example.test' }).getByText('afgeleverd').count()) === 1;
  }, 'kees: afgeleverd');

  // The guest, on a phone, without an account.
  const guestContext = await ctx.browser.newContext({ viewport: PHONE });
  const guest = await guestContext.newPage();
  await guest.goto(link);
  await guest.getByRole('heading', { name: 'Beveiligd bericht' }).waitFor();
  await guest.getByText(`Bericht van Anna de Vries, ${PRACTICE.name}`).waitFor();
  await guest.getByText('Heeft u geen toegangscode ontvangen? Neem dan contact op met de afzender.').waitFor();
  assert.equal(await guest.getByText('cholesterol').count(), 0, 'the link alone shows no content');
  await checkA11y(guest, 'guest, code');
  await screenshots(guest, '61-guest-code');
  await guest.getByLabel('Toegangscode').fill('AAAA-BBBB');
  await guest.getByRole('button', { name: 'Bericht openen' }).click();
  await guest.getByText('Deze code klopt niet. Controleer de code en probeer het opnieuw.').waitFor();
  await checkA11y(guest, 'guest, wrong code');
  // Read aloud over the phone: lower case, a space instead of the dash.
  await guest.getByLabel('Toegangscode').fill(code.toLowerCase().replace('-', ' '));
  await guest.getByRole('button', { name: 'Bericht openen' }).click();
  await guest.getByRole('heading', { name: 'Uitslag bloedonderzoek <script>alert(1)</script>' }).waitFor();
  await guest.getByText('Uw cholesterol is goed.').waitFor();
  await checkA11y(guest, 'guest, thread');
  await screenshots(guest, '62-guest-thread');
  const wide = await guest.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  assert.equal(wide, false, 'nothing hidden in a sideways scroll at 390 px');
  await guest.getByLabel('Uw antwoord').fill('Bedankt, dokter!');
  await guest.getByRole('button', { name: 'Versturen' }).click();
  await guest.getByText('Uw antwoord is verstuurd.').waitFor();
  await guest.getByText('Bedankt, dokter!').waitFor();

  // The sender sees it as new, reads it and answers.
  await staff.goto(ctx.server.base + '/secure-mail');
  assert.equal((await staff.getByRole('row').filter({ hasText: 'Uitslag bloedonderzoek' }).locator('.badge').innerText()).trim(), '1 nieuw');
  await staff.getByRole('link', { name: 'Uitslag bloedonderzoek <script>alert(1)</script>' }).click();
  await staff.getByText('Bedankt, dokter!').waitFor();
  await staff.getByRole('row').filter({ hasText: 'marie.jansen@example.test' }).getByText('beantwoord').waitFor();
  await staff.getByRole('row').filter({ hasText: 'kees@example.test' }).getByText('afgeleverd').waitFor();
  const second = ctx.sink.messages.length;
  await staff.getByLabel('Je antwoord').fill('Graag gedaan. Tot ziens op het spreekuur.');
  await staff.getByRole('button', { name: 'Antwoord versturen' }).click();
  await staff.getByText('Je antwoord is verstuurd. De ontvangers krijgen een nieuwe e-mail.').waitFor();
  // The printable proof of delivery: each step with its time.
  await staff.getByRole('link', { name: 'Bewijs van aflevering (afdrukbaar)' }).click();
  await staff.getByRole('heading', { name: 'Bewijs van aflevering' }).waitFor();
  const marie = staff.getByRole('listitem').filter({ hasText: 'marie.jansen@example.test' });
  const step = async (name) => (await marie.locator('div').filter({ has: staff.locator('dt', { hasText: new RegExp(`^${name}$`) }) }).locator('dd').innerText()).trim();
  for (const name of ['Verzonden', 'Afgeleverd', 'Geopend', 'Beantwoord']) {
    assert.match(await step(name), /^\d+ december 2026, \d\d:\d\d$/, name);
  }
  assert.equal(await step('Niet afgeleverd'), '—');
  await staff.getByRole('button', { name: 'Afdrukken' }).waitFor();
  await checkA11y(staff, 'proof of delivery');
  await screenshots(staff, '66-proof-of-delivery');
  await staff.goto(ctx.server.base + '/secure-mail');
  await staff.getByRole('link', { name: 'Uitslag bloedonderzoek <script>alert(1)</script>' }).waitFor();
  assert.equal(await staff.locator('.badge').count(), 0, 'read now');

  // A new notification opens the same thread; this browser is still in it.
  const again = await notification(ctx.sink, 'marie.jansen@example.test', second);
  assert.notEqual(again.link, link, 'a new link');
  await guest.goto(again.link);
  await guest.getByText('Graag gedaan. Tot ziens op het spreekuur.').waitFor();
  await guest.getByText('Bedankt, dokter!').waitFor();
  // Another browser needs the code.
  const stranger = await (await ctx.browser.newContext({ viewport: PHONE })).newPage();
  await stranger.goto(again.link);
  await stranger.getByLabel('Toegangscode').waitFor();
  assert.equal(await stranger.getByText('Graag gedaan').count(), 0);
  // The sender changes a recipient: Kees gets a new access code (the old one stops) and the
  // e-mail again; Marie switches to sms codes.
  await staff.getByRole('link', { name: 'Uitslag bloedonderzoek <script>alert(1)</script>' }).click();
  await staff.getByRole('button', { name: 'Nieuwe toegangscode: kees@example.test' }).click();
  await staff.getByText('De wijziging is opgeslagen. Een oude code werkt niet meer.').waitFor();
  const keesCode = (await staff.locator('.access-code .code').innerText()).trim();
  assert.match(keesCode, /^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$/);
  await checkA11y(staff, 'secure mail, new code');
  await screenshots(staff, '64-secure-mail-new-code');
  const resentAt = ctx.sink.messages.length;
  await staff.getByRole('button', { name: 'Opnieuw versturen: kees@example.test' }).click();
  await staff.getByText('De e-mail is opnieuw verstuurd, met een nieuwe link.').waitFor();
  const keesAgain = await notification(ctx.sink, 'kees@example.test', resentAt);
  assert.notEqual(keesAgain.link, kees.link);
  const keesPage = await (await ctx.browser.newContext({ viewport: PHONE })).newPage();
  await keesPage.goto(kees.link);
  await keesPage.getByLabel('Toegangscode').fill('geboorte-1951');
  await keesPage.getByRole('button', { name: 'Bericht openen' }).click();
  await keesPage.getByText('Deze code klopt niet. Controleer de code en probeer het opnieuw.').waitFor();
  await keesPage.getByLabel('Toegangscode').fill(keesCode);
  await keesPage.getByRole('button', { name: 'Bericht openen' }).click();
  await keesPage.getByText('Graag gedaan. Tot ziens op het spreekuur.').waitFor();
  await staff.getByText('Sms-code gebruiken: marie.jansen@example.test').click();
  await staff.getByLabel('Mobiel nummer marie.jansen@example.test').fill('0201234567');
  await staff.getByRole('button', { name: 'Overschakelen naar sms' }).click();
  await staff.getByText('Dit is geen mobiel nummer.', { exact: false }).waitFor();
  await staff.getByText('Sms-code gebruiken: marie.jansen@example.test').click();
  await staff.getByLabel('Mobiel nummer marie.jansen@example.test').fill('06-87654321');
  await staff.getByRole('button', { name: 'Overschakelen naar sms' }).click();
  await staff.getByText('De wijziging is opgeslagen. Een oude code werkt niet meer.').waitFor();
  await stranger.goto(link);
  await stranger.getByText('Om het bericht te openen sturen wij u een code per sms naar 06 •• •• •• 21.').waitFor();

  // "Intrekken": every link of the message now says the sender withdrew it.
  await staff.getByText('Intrekken…').click();
  await staff.getByText('Weet je het zeker? Geen ontvanger kan het bericht daarna nog openen.').waitFor();
  await staff.getByRole('button', { name: 'Ja, intrekken' }).click();
  await staff.getByText('Het bericht is ingetrokken. De ontvangers kunnen het niet meer openen.').waitFor();
  await staff.getByText('Dit bericht is ingetrokken.').waitFor();
  assert.equal(await staff.getByLabel('Je antwoord').count(), 0, 'nobody answers a withdrawn message');
  await checkA11y(staff, 'secure mail, withdrawn');
  const withdrawn = await guest.goto(again.link);
  assert.equal(withdrawn.status(), 410);
  await guest.getByText('De afzender heeft dit bericht ingetrokken. U kunt het niet meer lezen.').waitFor();
  assert.equal(await guest.getByText('Bedankt, dokter!').count(), 0);
  await checkA11y(guest, 'guest, withdrawn');
  // A made-up link says nothing.
  const res = await stranger.goto(ctx.server.base + '/m/not-a-real-link');
  assert.equal(res.status(), 404);
  await stranger.getByText('Deze link werkt niet.', { exact: false }).waitFor();
  await checkA11y(stranger, 'guest, unknown link');
});
