// One test file's set-up and tear-down: the SMTP sink, the server delivering to it, Chromium
// and (if asked) the practice set up by its administrator. A test file states what differs:
//
//   const ctx = practiceSuite({ postgres: true, practice: true });
//   test('…', async () => { const page = await ctx.newPage(); await page.goto(ctx.server.base); });
//
// Files with another shape (no shared server, a second server or sink, a server restarted)
// take what they share from here and start the rest themselves with `startServer` and
// `startSmtpSink`.
import { before, after } from 'node:test';
import { startSmtpSink } from './smtp-sink.mjs';
import { startServer } from './server.mjs';
import { launch, DESKTOP } from './browser.mjs';
import { setUpPractice } from './journey.mjs';

/**
 * Registers the file's `before` and `after` hooks and returns the context they fill in:
 * `ctx.sink` (the SMTP sink), `ctx.server` (`startServer` delivering its e-mail to the sink;
 * null with `server: false`), `ctx.browser` (headless Chromium), `ctx.staff` (with
 * `practice: true`: a page on which the administrator has set up the practice with
 * `setUpPractice`, signed in) and `ctx.newPage(options)` (a page in a new browser context,
 * desktop size unless `options` say otherwise).
 *
 * `postgres` and `env` go to `startServer` as they are. `setUp(ctx)` is the file's own set-up,
 * run at the end of the same `before` hook: Node 20 starts a file's top-level `before` hooks
 * as they are registered, side by side, so a second hook would not wait for this one.
 * `after` closes whatever `before` opened, also when a test or `before` itself failed, and
 * each piece even when closing another one failed.
 */
export function practiceSuite({ postgres = false, env = {}, server = true, practice = false, setUp = null } = {}) {
  const ctx = {
    sink: null,
    server: null,
    browser: null,
    staff: null,
    newPage: async (options = {}) => (await ctx.browser.newContext({ viewport: DESKTOP, ...options })).newPage(),
  };
  before(async () => {
    ctx.sink = await startSmtpSink();
    if (server) ctx.server = await startServer({ smtpUrl: ctx.sink.url, postgres, env });
    ctx.browser = await launch();
    if (practice) {
      ctx.staff = await ctx.newPage();
      await setUpPractice(ctx.staff, ctx.server);
    }
    if (setUp) await setUp(ctx);
  });
  after(async () => {
    const failures = [];
    for (const close of [() => ctx.browser?.close(), () => ctx.server?.stop(), () => ctx.sink?.close()]) {
      try {
        await close();
      } catch (e) {
        failures.push(e);
      }
    }
    if (failures.length) throw failures[0];
  });
  return ctx;
}
