// The same journey on PostgreSQL.
import { test, before, after } from 'node:test';
import { startSmtpSink } from '../lib/smtp-sink.mjs';
import { startServer } from '../lib/server.mjs';
import { launch } from '../lib/browser.mjs';
import { dutchJourney } from '../lib/journey.mjs';

let sink, server, browser;
before(async () => {
  sink = await startSmtpSink();
  server = await startServer({ smtpUrl: sink.url, postgres: true });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
  await sink?.close();
});

test('invitation → registration → messenger, in Dutch, on PostgreSQL', async () => {
  await dutchJourney({ browser, server, sink, shots: false });
});
