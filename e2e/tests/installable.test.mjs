// Installable: a manifest named after the practice with icons, a service worker that keeps
// only the static files (never a page, a message or a file), and at phone width a side menu
// that folds behind "Menu" so the conversation comes first, usable with the keyboard.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { practiceSuite } from '../lib/harness.mjs';
import { checkA11y, screenshots, eventually, DESKTOP, PHONE } from '../lib/browser.mjs';
import { setUpPractice, registerPatient } from '../lib/journey.mjs';

const ctx = practiceSuite();

test('the messenger installs, caches only static files, and fits a phone', async () => {
  const anna = await ctx.newPage();
  await setUpPractice(anna, ctx.server);
  const piet = await registerPatient(ctx.browser, ctx.sink, anna, { first: 'Piet', last: 'Post', email: 'piet@example.test', password: 'Brievenbus-7!' });
  await piet.setViewportSize(PHONE);
  await piet.reload();

  const manifest = await (await fetch(ctx.server.base + '/manifest.webmanifest')).json();
  assert.equal(manifest.name, 'Spreekuur – Huisartsenpraktijk De Linde');
  assert.equal(manifest.start_url, '/messenger');
  assert.equal(manifest.display, 'standalone');
  for (const icon of manifest.icons) {
    const r = await fetch(ctx.server.base + icon.src);
    assert.equal(r.headers.get('content-type'), 'image/png', icon.src);
    const bytes = Buffer.from(await r.arrayBuffer());
    assert.equal(bytes.readUInt32BE(16), Number(icon.sizes.split('x')[0]), `${icon.src} is ${icon.sizes}`);
  }

  // The service worker takes over, and after pages, messages and a file its cache holds only
  // the static files.
  await piet.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  await piet.reload();
  await eventually(() => piet.evaluate(() => !!navigator.serviceWorker.controller), 'the worker controls the page');
  await piet.getByRole('textbox', { name: 'Bericht' }).fill('Mijn bloeddruk is 135/85.');
  await piet.getByRole('button', { name: 'Stuur' }).click();
  await piet.locator('.message.mine').filter({ hasText: 'bloeddruk' }).waitFor();
  await piet.goto(ctx.server.base + '/files');
  await piet.goto(ctx.server.base + '/messenger');
  const cached = await piet.evaluate(async () => {
    const out = [];
    for (const name of await caches.keys()) {
      for (const req of await (await caches.open(name)).keys()) out.push(new URL(req.url).pathname);
    }
    return out.sort();
  });
  assert.deepEqual(cached, ['/static/app.css', '/static/app.js', '/static/icon-192.png', '/static/icon-512.png']);

  // At phone width the menu folds behind "Menu"; the keyboard opens it and reaches its links.
  const menu = piet.getByRole('button', { name: 'Menu' });
  assert.equal(await menu.getAttribute('aria-expanded'), 'false');
  assert.equal(await piet.getByRole('link', { name: 'Bestanden' }).isVisible(), false);
  await checkA11y(piet, 'messenger at phone width, menu folded');
  await screenshots(piet, '67-phone-menu-folded');
  await menu.focus();
  await piet.keyboard.press('Enter');
  assert.equal(await menu.getAttribute('aria-expanded'), 'true');
  await piet.keyboard.press('Tab');
  assert.equal(await piet.evaluate(() => document.activeElement.textContent.trim()), 'Gesprekken');
  await piet.getByRole('link', { name: 'Bestanden' }).waitFor();
  await checkA11y(piet, 'messenger at phone width, menu open');
  // The composer is on the first screen's reach: scrolled to, it is fully in view.
  await piet.getByRole('textbox', { name: 'Bericht' }).scrollIntoViewIfNeeded();
  const box = await piet.getByRole('button', { name: 'Stuur' }).boundingBox();
  assert.ok(box && box.y + box.height <= PHONE.height, 'Stuur is reachable');
  // At desktop width the menu is simply there.
  await piet.setViewportSize(DESKTOP);
  await eventually(async () => !(await menu.isVisible()), 'the button goes at desktop width');
  assert.equal(await piet.getByRole('link', { name: 'Bestanden' }).isVisible(), true);
});
