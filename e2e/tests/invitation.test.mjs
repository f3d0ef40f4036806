// The first journey end to end, in Dutch, on SQLite, with the e-mail read from a real SMTP
// server: setup → invite → e-mail → landing → registration → messenger; then the provider's view
// and the used link.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSmtpSink } from '../lib/smtp-sink.mjs';
import { startServer } from '../lib/server.mjs';
import { launch } from '../lib/browser.mjs';
import { dutchJourney } from '../lib/journey.mjs';

let sink, server, browser;
before(async () => {
  sink = await startSmtpSink();
  server = await startServer({ smtpUrl: sink.url });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
  await sink?.close();
});

test('invitation → registration → messenger, in Dutch, on SQLite', async () => {
  await dutchJourney({ browser, server, sink });
});
