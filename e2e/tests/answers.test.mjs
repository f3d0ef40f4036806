// The other answers to an invitation: in English, with an existing account, declined, resent
// and withdrawn; and the newcomer's path through the Development mailbox (no SMTP relay).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { practiceSuite } from '../lib/harness.mjs';
import { startServer } from '../lib/server.mjs';
import { checkA11y, screenshots, DESKTOP } from '../lib/browser.mjs';
import { setUpPractice, invite, invitationMail, invitationState, sessionCode } from '../lib/journey.mjs';

const ctx = practiceSuite({ practice: true });

const piet = { first: 'Piet', last: 'Pieterse', email: 'piet@example.test', note: 'Welcome, Piet.', mailLang: 'en' };

test('in English: the e-mail, the landing page and registration, and Change language', async () => {
  const after0 = ctx.sink.messages.length;
  await invite(ctx.staff, piet);
  const { mail, link } = await invitationMail(ctx.sink, piet.email, { button: 'Accept invitation', after: after0 });
  assert.ok(mail.text.startsWith('Hello Piet,'));
  const context = await ctx.browser.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  await page.goto(link);
  await page.getByRole('heading', { name: 'Registration' }).waitFor();
  await page.getByRole('heading', { name: 'Hello Piet,' }).waitFor();
  await page.getByRole('link', { name: 'Create your account' }).waitFor();
  await checkA11y(page, 'landing (en)');
  await screenshots(page, '10-landing-en');
  // "Change language ▾" switches to Dutch and remembers it on the next page.
  await page.getByText('Change language').click();
  await page.getByRole('link', { name: 'Nederlands' }).click();
  await page.getByRole('heading', { name: 'Hallo Piet,' }).waitFor();
  await page.getByRole('link', { name: 'Maak je account aan' }).click();
  await page.getByRole('heading', { name: 'Persoonsgegevens', level: 2 }).waitFor();
  await page.getByText('Change language').click();
  await page.getByRole('link', { name: 'English' }).click();
  await page.getByRole('heading', { name: 'Personal details', level: 2 }).waitFor();
  await page.getByLabel(/^Password\*?$/).fill('Fietsband-Lantaarn7');
  await page.getByLabel(/^Confirm password\*?$/).fill('Fietsband-Lantaarn8');
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByText('The two passwords are not the same.').waitFor();
  await checkA11y(page, 'details with an error (en)');
  await page.getByLabel(/^Password\*?$/).fill('Fietsband-Lantaarn7');
  await page.getByLabel(/^Confirm password\*?$/).fill('Fietsband-Lantaarn7');
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('heading', { name: 'Summary' }).waitFor();
  await page.getByLabel(/I agree to the/).check();
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('heading', { name: 'Thank you for registering.' }).waitFor();
  await page.getByRole('link', { name: 'Open the messenger now' }).click();
  await page.getByRole('heading', { name: 'Conversation with Anna de Vries' }).waitFor();
  await page.getByText('Welcome, Piet.').waitFor();
  await page.getByRole('button', { name: 'Send' }).waitFor();
  await context.close();
  assert.equal(await invitationState(ctx.staff, piet.email), 'geaccepteerd');
});

test('"Ik heb al een account": the invitation is linked to the existing account', async () => {
  const after0 = ctx.sink.messages.length;
  await invite(ctx.staff, { ...piet, note: 'Tweede uitnodiging, zelfde gesprek.', mailLang: 'nl' });
  const { link } = await invitationMail(ctx.sink, piet.email, { after: after0 });
  const page = await ctx.newPage();
  await page.goto(link);
  await page.getByRole('link', { name: 'Ik heb al een account' }).click();
  await page.getByRole('heading', { name: 'Inloggen' }).waitFor();
  await checkA11y(page, 'login for invitation');
  await page.getByLabel('E-mailadres of gebruikersnaam').fill(piet.email);
  await page.getByLabel('Wachtwoord').fill('wrong-Password1!');
  await page.getByRole('button', { name: 'Inloggen', exact: true }).click();
  await page.getByText('Het e-mailadres, de gebruikersnaam of het wachtwoord klopt niet.').waitFor();
  const beforeCode = ctx.sink.messages.length;
  await page.getByLabel('Wachtwoord').fill('Fietsband-Lantaarn7');
  await page.getByRole('button', { name: 'Inloggen', exact: true }).click();
  // Patients confirm a sign-in with the e-mailed session code (the practice's default).
  await page.getByRole('heading', { name: 'Sessiecode', exact: true }).waitFor();
  const { code } = await sessionCode(ctx.sink, piet.email, beforeCode);
  await page.getByLabel('Sessiecode (6 cijfers)').fill(code);
  await page.getByRole('button', { name: 'Doorgaan' }).click();
  await page.getByRole('button', { name: 'Ik heb al een account' }).click();
  await page.getByRole('heading', { name: 'Gesprek met Anna de Vries' }).waitFor();
  await page.getByText('Tweede uitnodiging, zelfde gesprek.').waitFor();
  await page.getByText('Welcome, Piet.').waitFor();
  assert.equal(await invitationState(ctx.staff, piet.email), 'geaccepteerd');
});

test('declining: a confirmation page, the sender sees it, the link no longer works', async () => {
  const p = { first: 'Kees', last: 'Klaassen', email: 'kees@example.test' };
  const after0 = ctx.sink.messages.length;
  await invite(ctx.staff, p);
  const { link } = await invitationMail(ctx.sink, p.email, { after: after0 });
  const page = await ctx.newPage();
  await page.goto(link);
  await page.getByRole('link', { name: 'uitnodiging dan ook afwijzen' }).click();
  await page.getByRole('heading', { name: 'Uitnodiging afwijzen' }).waitFor();
  await page.getByText(/Weet je zeker dat je de uitnodiging van Huisartsenpraktijk De Linde wilt afwijzen/).waitFor();
  await checkA11y(page, 'decline confirmation');
  await screenshots(page, '11-decline');
  await page.getByRole('button', { name: 'Ja, uitnodiging afwijzen' }).click();
  await page.getByText('Je hebt de uitnodiging afgewezen.').waitFor();
  assert.equal(await invitationState(ctx.staff, p.email), 'afgewezen');
  const res = await page.goto(link);
  assert.equal(res.status(), 410);
  await page.getByText('Deze uitnodiging is al gebruikt, afgewezen of ingetrokken.').waitFor();
});

test('resending replaces the link; withdrawing stops it', async () => {
  const p = { first: 'Els', last: 'Evers', email: 'els@example.test' };
  const after0 = ctx.sink.messages.length;
  await invite(ctx.staff, p);
  const { link: first } = await invitationMail(ctx.sink, p.email, { after: after0 });
  const row = () => ctx.staff.getByRole('row').filter({ hasText: p.email });
  const after1 = ctx.sink.messages.length;
  await row().getByRole('button', { name: /Opnieuw versturen/ }).click();
  await ctx.staff.getByText('De uitnodiging is opnieuw verstuurd. De vorige link werkt niet meer.').waitFor();
  const { link: second } = await invitationMail(ctx.sink, p.email, { after: after1 });
  assert.notEqual(first, second);
  const page = await ctx.newPage();
  let res = await page.goto(first);
  assert.equal(res.status(), 404, 'the old link stops working');
  await page.getByText('Deze uitnodigingslink is niet geldig.').waitFor();
  res = await page.goto(second);
  assert.equal(res.status(), 200);
  await ctx.staff.goto(ctx.server.base + '/invitations');
  await row().getByRole('button', { name: /Intrekken/ }).click();
  await ctx.staff.getByText('De uitnodiging is ingetrokken. De link werkt niet meer.').waitFor();
  assert.equal(await invitationState(ctx.staff, p.email), 'ingetrokken');
  res = await page.goto(second);
  assert.equal(res.status(), 410);
});

test('without SMTP: the invitation waits in the Ontwikkelpostvak (Development mailbox), its button opens the landing page', async () => {
  const dev = await startServer();
  try {
    const page = await ctx.newPage();
    await setUpPractice(page, dev);
    await invite(page, { first: 'Nina', last: 'Nieuw', email: 'nina@example.test' });
    // Nothing left the server, and the pages say so: the notice and the list.
    await page.getByText('De uitnodiging voor nina@example.test is niet verstuurd: er is geen mailserver ingesteld. Je vindt haar in het Ontwikkelpostvak.').waitFor();
    assert.equal(await page.getByText('De uitnodiging is verstuurd').count(), 0);
    assert.equal(await invitationState(page, 'nina@example.test'), 'in het Ontwikkelpostvak');
    await page.getByRole('link', { name: 'Ontwikkelpostvak' }).click();
    await page.getByRole('heading', { name: 'Ontwikkelpostvak', level: 1 }).waitFor();
    await page.getByText('Er is geen SMTP-server ingesteld').waitFor();
    await page.getByText('niet verstuurd: alleen hier te lezen').first().waitFor();
    assert.equal(await page.getByText('pending').count(), 0, 'no English status on a Dutch page');
    await checkA11y(page, 'development mailbox');
    await screenshots(page, '12-dev-mailbox');
    await page.getByRole('link', { name: /HTML-versie: Huisartsenpraktijk De Linde nodigt je uit/ }).click();
    await page.getByRole('link', { name: 'Uitnodiging accepteren' }).click();
    await page.getByRole('heading', { name: 'Hallo Nina,' }).waitFor();
    // Opened in the administrator's own browser: the page says who is signed in, and
    // registering waits until she has signed out (which brings her back here).
    await page.getByText('Je bent op dit apparaat ingelogd als Anna de Vries.', { exact: false }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Maak je account aan' }).count(), 0);
    await checkA11y(page, 'invitation landing while signed in');
    await screenshots(page, '04-landing-signed-in');
    await page.getByRole('button', { name: 'Uitloggen en doorgaan' }).click();
    await page.getByRole('heading', { name: 'Hallo Nina,' }).waitFor();
    await page.getByRole('link', { name: 'Maak je account aan' }).waitFor();
    assert.equal(await page.getByText('Je bent op dit apparaat ingelogd').count(), 0);
    // With SMTP configured the page does not exist.
    const res = await ctx.staff.goto(ctx.server.base + '/dev/mailbox');
    assert.equal(res.status(), 404);
  } finally {
    await dev.stop();
  }
});
