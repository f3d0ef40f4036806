// The journey with the keyboard alone: Tab to move, Enter to follow links and press buttons,
// Space to tick the box, Enter to send and Shift+Enter for a new line, Enter on the paperclip
// for the file chooser. No mouse clicks, no programmatic fills.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { practiceSuite } from '../lib/harness.mjs';
import { setUpPractice, invite, invitationMail } from '../lib/journey.mjs';

const ctx = practiceSuite();

/** Presses Tab until the focused element's accessible text matches, then returns. */
async function tabTo(page, pattern) {
  const seen = [];
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el) return '';
      const label = el.id ? document.querySelector(`label[for="${el.id}"]`) : null;
      const aria = el.getAttribute('aria-label');
      const text = el.innerText || el.value || '';
      return (label ? label.innerText : '') + '|' + (text || aria || '') + (text && aria ? '|' + aria : '');
    });
    seen.push(focused);
    if (pattern.test(focused)) return;
  }
  throw new Error(`Tab never reached ${pattern}: ${seen.join(' ~ ')}`);
}

test('the whole registration, then the messenger, with the keyboard alone', async () => {
  const staff = await ctx.newPage();
  await setUpPractice(staff, ctx.server);
  await invite(staff, { first: 'Toos', last: 'Toetsenbord', email: 'toos@example.test', note: 'Welkom Toos.' });
  const { link } = await invitationMail(ctx.sink, 'toos@example.test');

  const page = await ctx.newPage();
  await page.goto(link);
  await tabTo(page, /Maak je account aan/);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Persoonsgegevens', level: 2 }).waitFor();
  await tabTo(page, /^GEBRUIKERSNAAM|^Gebruikersnaam/i);
  await page.keyboard.type('toos');
  await tabTo(page, /^WACHTWOORD\*?\||^Wachtwoord\*?\|/i);
  await page.keyboard.type('Woordje1!');
  await page.keyboard.press('Tab');
  await page.keyboard.type('Woordje1!');
  await tabTo(page, /Volgende/);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Samenvatting' }).waitFor();
  assert.match(await page.locator('dl.summary').innerText(), /toos/);
  await tabTo(page, /Ik ga akkoord/);
  await page.keyboard.press('Space');
  assert.equal(await page.locator('#terms').isChecked(), true);
  await tabTo(page, /^\|Volgende$/);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Bedankt voor je registratie.' }).waitFor();
  await tabTo(page, /Open de messenger nu/);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Gesprek met Anna de Vries' }).waitFor();
  await tabTo(page, /^Bericht/);
  await page.keyboard.type('Met het toetsenbord verstuurd.');
  await page.keyboard.press('Enter');
  await page.locator('.message.mine').filter({ hasText: 'Met het toetsenbord verstuurd.' }).waitFor();

  // The messenger itself: Shift+Enter makes a new line, Enter sends.
  await page.keyboard.type('Regel een');
  await page.keyboard.press('Shift+Enter');
  await page.keyboard.type('Regel twee');
  await page.keyboard.press('Enter');
  const twoLines = page.locator('.message.mine').filter({ hasText: 'Regel twee' });
  await twoLines.waitFor();
  assert.match(await twoLines.locator('.body').innerText(), /Regel een\nRegel twee/);
  // The paperclip opens the file chooser from the keyboard (choosing the file is the
  // operating system's dialog); the file arrives as a card.
  // (Waiting for the chooser starts first: Playwright takes the dialog over asynchronously,
  // and an Enter pressed before that opens the browser's own dialog instead.)
  const chooserOpens = page.waitForEvent('filechooser');
  await tabTo(page, /Bestand toevoegen/);
  await page.keyboard.press('Enter');
  const chooser = await chooserOpens;
  await chooser.setFiles({ name: 'verwijsbrief.pdf', mimeType: 'application/pdf', buffer: Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(3000, 1)]) });
  await page.locator('.message.mine').filter({ hasText: 'verwijsbrief.pdf' }).waitFor();
  // Toos finds her file under Bestanden and downloads it, and goes back to her conversation
  // through Contacten.
  await tabTo(page, /^\|Bestanden$/);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Bestanden' }).waitFor();
  await tabTo(page, /Downloaden\s+verwijsbrief\.pdf/);
  const downloads = page.waitForEvent('download');
  await page.keyboard.press('Enter');
  const download = await downloads;
  assert.equal(download.suggestedFilename(), 'verwijsbrief.pdf');
  await tabTo(page, /^\|Contacten$/);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Contacten' }).waitFor();
  await tabTo(page, /Stuur bericht aan Anna de Vries/);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Gesprek met Anna de Vries' }).waitFor();
  await page.locator('.message.mine').filter({ hasText: 'verwijsbrief.pdf' }).waitFor();
});
