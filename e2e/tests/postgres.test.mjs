// The same journey on PostgreSQL.
import { test } from 'node:test';
import { practiceSuite } from '../lib/harness.mjs';
import { dutchJourney } from '../lib/journey.mjs';

const ctx = practiceSuite({ postgres: true });

test('invitation → registration → messenger, in Dutch, on PostgreSQL', async () => {
  await dutchJourney({ ...ctx, shots: false });
});
