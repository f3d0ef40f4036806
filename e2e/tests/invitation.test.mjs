// The first journey end to end, in Dutch, on SQLite, with the e-mail read from a real SMTP
// server: setup → invite → e-mail → landing → registration → messenger; then the provider's view
// and the used link.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { practiceSuite } from '../lib/harness.mjs';
import { dutchJourney } from '../lib/journey.mjs';

const ctx = practiceSuite();

test('invitation → registration → messenger, in Dutch, on SQLite', async () => {
  await dutchJourney(ctx);
});
