// The messenger's newer journeys in English, on PostgreSQL, at phone width for the patient:
// a patient writes to a team and sends a file; a member of the team takes it, opens the file
// and answers; the patient's Files page lists it; a group is made (it appears in the patient's
// open conversation list at once) and the patient removed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { practiceSuite } from '../lib/harness.mjs';
import { checkA11y, screenshots, PHONE } from '../lib/browser.mjs';
import { setUpPractice, registerPatient } from '../lib/journey.mjs';

const ctx = practiceSuite({ postgres: true });

async function english(page) {
  await page.getByText('Change language').click();
  await page.getByRole('link', { name: 'English' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
}

test('team, file and group in English on PostgreSQL, the patient on a phone', async () => {
  const anna = await ctx.newPage({ acceptDownloads: true });
  await setUpPractice(anna, ctx.server);
  const piet = await registerPatient(ctx.browser, ctx.sink, anna, { first: 'Piet', last: 'Post', email: 'piet@example.test', password: 'Brievenbus-7!' });
  await english(anna);
  await english(piet);
  await piet.setViewportSize(PHONE);

  // The administrator joins Planbureau.
  await anna.goto(ctx.server.base + '/teams');
  await anna.getByLabel('Add a staff member to Planbureau').selectOption({ label: 'Anna de Vries' });
  await anna.getByRole('region', { name: 'Planbureau' }).getByRole('button', { name: 'Add' }).click();
  await anna.getByText('The staff member is now in the team').waitFor();

  // The patient, on a phone, writes to Planbureau and sends a PDF.
  await piet.getByRole('button', { name: 'Menu' }).click();
  await piet.getByRole('link', { name: 'Contacts' }).click();
  await piet.getByRole('button', { name: 'Send a message to Planbureau' }).click();
  await piet.getByRole('heading', { name: 'Conversation with Planbureau' }).waitFor();
  await piet.getByRole('textbox', { name: 'Message' }).fill('Here is the referral letter.');
  await piet.getByRole('button', { name: 'Send', exact: true }).click();
  await piet.locator('.message.mine').filter({ hasText: 'referral letter' }).waitFor();
  const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(150_000, 3)]);
  const [chooser] = await Promise.all([piet.waitForEvent('filechooser'), piet.getByRole('button', { name: 'Add a file' }).click()]);
  await chooser.setFiles({ name: 'referral.pdf', mimeType: 'application/pdf', buffer: pdf });
  await piet.getByRole('status').filter({ hasText: 'referral.pdf has been sent.' }).waitFor();
  await checkA11y(piet, 'team conversation with a file, English, phone');
  await screenshots(piet, '68-english-team-file');

  // The team member takes it and downloads the file byte for byte.
  await anna.goto(ctx.server.base + '/messenger');
  await anna.getByRole('link', { name: /Planbureau – Piet Post/ }).click();
  await anna.getByText('Message to the team Planbureau. Nobody has taken it yet.').waitFor();
  await anna.getByRole('button', { name: "I'll take this" }).click();
  await anna.getByText('You have taken this conversation.').waitFor();
  const card = anna.locator('.file-card').filter({ hasText: 'referral.pdf' });
  await card.getByText('PDF document, 147 kB').waitFor();
  const [download] = await Promise.all([anna.waitForEvent('download'), card.getByRole('link', { name: /^Download/ }).click()]);
  assert.deepEqual(fs.readFileSync(await download.path()), pdf);
  await anna.getByRole('textbox', { name: 'Message' }).fill('Thank you, we will plan the appointment.');
  await anna.getByRole('button', { name: 'Send', exact: true }).click();
  await anna.locator('.message.mine').filter({ hasText: 'plan the appointment' }).waitFor();
  await checkA11y(anna, 'team conversation taken, English');

  // The patient's Files page lists the letter.
  await piet.goto(ctx.server.base + '/files');
  await piet.getByRole('heading', { name: 'Files' }).waitFor();
  assert.match(await piet.locator('table.files tbody tr').first().innerText(), /referral\.pdf[\s\S]*Planbureau[\s\S]*You/);
  await checkA11y(piet, 'files page, English, phone');

  // A group with the patient, made while his conversation list is open: it appears at the
  // top at once, and a message in it counts as unread. Removed, he no longer reads it.
  await piet.goto(ctx.server.base + '/messenger');
  await piet.locator('#messenger[data-live="open"]').waitFor();
  await anna.goto(ctx.server.base + '/groups/new');
  await anna.getByLabel('Name of the group').fill('Care team Piet');
  await anna.getByLabel(/Piet Post/).check();
  await anna.getByRole('button', { name: 'Create group' }).click();
  await anna.getByText('The group has been created.').waitFor();
  const group = new URL(anna.url()).pathname.split('/').pop();
  const top = piet.locator('ul.conv-list li').first();
  await top.getByText('Care team Piet').waitFor();
  await anna.goto(`${ctx.server.base}/messenger/${group}`);
  await anna.getByRole('textbox', { name: 'Message' }).fill('Welcome to your care team.');
  await anna.getByRole('button', { name: 'Send', exact: true }).click();
  await anna.locator('.message.mine').filter({ hasText: 'Welcome to your care team.' }).waitFor();
  await top.locator('.unread').filter({ hasText: '1 unread' }).waitFor();
  await checkA11y(piet, 'conversation list with a group joined live, English, phone');
  await screenshots(piet, '69-english-group-joined-live');
  assert.equal((await piet.goto(`${ctx.server.base}/messenger/${group}`)).status(), 200);
  await anna.goto(`${ctx.server.base}/groups/${group}`);
  await anna.getByRole('button', { name: 'Remove Piet Post from the group' }).click();
  await anna.getByText('sees nothing of this conversation from now on').waitFor();
  assert.equal((await piet.goto(`${ctx.server.base}/messenger/${group}`)).status(), 404);
});
