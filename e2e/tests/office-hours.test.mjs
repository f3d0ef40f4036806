// Office hours (seed 001): the practice sets hours per weekday and closed days; outside them a
// patient sees, above "Stuur", when the practice opens again and the emergency text, and can
// still send. Staff see no notice; without hours there is none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { practiceSuite } from '../lib/harness.mjs';
import { checkA11y, screenshots } from '../lib/browser.mjs';
import { setUpPractice, registerPatient } from '../lib/journey.mjs';

const ctx = practiceSuite();
// The administrator and the patient, shared by the tests below (they run in order).
let admin, piet;

const ams = (d, opts) => new Intl.DateTimeFormat('nl-NL', { timeZone: 'Europe/Amsterdam', ...opts }).format(d);
const pad = (n) => String(n).padStart(2, '0');
const isoDay = (d) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Amsterdam' }).format(d);

async function saveHours(admin, hours, closed = '') {
  await admin.goto(ctx.server.base + '/practice');
  for (let i = 0; i < 7; i++) await admin.locator(`#hours_${i}`).fill(hours);
  await admin.getByLabel('Gesloten dagen, zoals feestdagen').fill(closed);
  await admin.getByRole('button', { name: 'Opslaan' }).click();
}

test('outside office hours a patient sees when the practice opens again, and can still send', async () => {
  admin = await ctx.newPage();
  await setUpPractice(admin, ctx.server);
  piet = await registerPatient(ctx.browser, ctx.sink, admin, { first: 'Piet', last: 'Post', email: 'piet@example.test', password: 'Brievenbus-7!' });

  // What is not a time or a date is refused, with the reason.
  await saveHours(admin, '17:00-08:00');
  await admin.getByText('Schrijf openingstijden als 08:00-17:00 (begin vóór einde), of laat de dag leeg.').waitFor();
  await saveHours(admin, '', '2026-02-30');
  await admin.getByText('Schrijf elke gesloten dag als een bestaande datum').waitFor();

  // An hour a day that ended earlier today (or starts later today, just after midnight); with
  // tomorrow closed, the next opening is the day after.
  const now = new Date();
  const hour = Number(ams(now, { hour: '2-digit', hourCycle: 'h23' }));
  const start = (hour + 21) % 24;
  const laterToday = start > hour;
  const tomorrow = new Date(now.getTime() + 24 * 3600 * 1000);
  const next = laterToday ? now : new Date(now.getTime() + 48 * 3600 * 1000);
  await saveHours(admin, `${pad(start)}:00-${pad(start)}:59`, laterToday ? '' : isoDay(tomorrow));
  await admin.getByText('De praktijkgegevens zijn opgeslagen.').waitFor();
  await checkA11y(admin, 'practice with office hours');

  await piet.goto(ctx.server.base + '/messenger');
  const when = `${ams(next, { weekday: 'long' })} ${ams(next, { day: 'numeric', month: 'long' })} om ${pad(start)}:00`;
  const notice = piet.getByRole('note');
  await notice.getByText(`De praktijk is nu gesloten. Je kunt je bericht gewoon sturen; het wordt beantwoord vanaf ${when}.`).waitFor();
  await notice.getByText('Niet voor spoed: bel bij spoed de huisartsenpost of 112.').waitFor();
  await checkA11y(piet, 'conversation outside office hours');
  await screenshots(piet, '43-office-closed');
  await piet.getByRole('textbox', { name: 'Bericht' }).fill('Kan ik morgen langskomen?');
  await piet.getByRole('button', { name: 'Stuur' }).click();
  await piet.locator('.message.mine').filter({ hasText: 'Kan ik morgen langskomen?' }).waitFor();

  // Staff see no notice.
  await admin.goto(ctx.server.base + '/messenger');
  await admin.getByText('Kan ik morgen langskomen?').waitFor();
  assert.equal(await admin.getByRole('note').count(), 0);

  // Without office hours there is no notice.
  await saveHours(admin, '');
  await admin.getByText('De praktijkgegevens zijn opgeslagen.').waitFor();
  await piet.reload();
  await piet.getByText('Kan ik morgen langskomen?').waitFor();
  assert.equal(await piet.getByRole('note').count(), 0);
});

test('a team with its own hours: its conversation says when the team opens; the 1:1 stays quiet', async () => {
  // The practice keeps no hours (the previous test cleared them); Planbureau answers for an
  // hour a day, an hour that ended earlier today or starts later today.
  const now = new Date();
  const hour = Number(ams(now, { hour: '2-digit', hourCycle: 'h23' }));
  const start = (hour + 21) % 24;
  const next = start > hour ? now : new Date(now.getTime() + 24 * 3600 * 1000);

  await admin.goto(ctx.server.base + '/teams');
  const team = admin.getByRole('region', { name: 'Planbureau' });
  await team.getByLabel('Medewerker toevoegen aan Planbureau').selectOption({ label: 'Anna de Vries' });
  await team.getByRole('button', { name: 'Toevoegen' }).click();
  await team.getByText('Voor dit team gelden de openingstijden van de praktijk.').waitFor();
  // The hours fold open under their summary (they are open already after an error).
  const openHours = async () => {
    if ((await team.locator('details').getAttribute('open')) === null) await team.locator('summary').click();
  };
  const fillTeamHours = async (hours) => {
    await openHours();
    for (const day of ['maandag', 'dinsdag', 'woensdag', 'donderdag', 'vrijdag', 'zaterdag', 'zondag']) {
      await team.getByLabel(day, { exact: true }).fill(hours);
    }
    await team.getByRole('button', { name: 'Openingstijden van Planbureau opslaan' }).click();
  };
  // What is not a time is refused for that team, with the reason, and nothing changes.
  await fillTeamHours('9 tot 5');
  await team.getByRole('alert').getByText('Schrijf openingstijden als 08:00-17:00 (begin vóór einde), of laat de dag leeg.').waitFor();
  assert.equal(await team.getByLabel('maandag', { exact: true }).getAttribute('aria-invalid'), 'true');
  assert.equal(await team.getByLabel('dinsdag', { exact: true }).getAttribute('aria-invalid'), null, 'only the first day refused is marked');
  assert.equal(await team.getByLabel('maandag', { exact: true }).inputValue(), '9 tot 5', 'what was typed stays');
  await checkA11y(admin, 'teams with an error in the hours');
  await fillTeamHours(`${pad(start)}:00-${pad(start)}:59`);
  await admin.getByText('De openingstijden van het team zijn opgeslagen.').waitFor();
  await team.getByText('Dit team heeft eigen openingstijden.').waitFor();
  await openHours();
  assert.equal(await team.getByLabel('zondag', { exact: true }).inputValue(), `${pad(start)}:00-${pad(start)}:59`);
  await checkA11y(admin, 'teams with their own hours');
  await screenshots(admin, '44-team-hours');

  // Piet writes to Planbureau: the notice names the team's next opening.
  await piet.goto(ctx.server.base + '/contacts');
  await piet.getByRole('button', { name: 'Stuur bericht aan Planbureau' }).click();
  await piet.getByRole('heading', { name: 'Gesprek met Planbureau' }).waitFor();
  const when = `${ams(next, { weekday: 'long' })} ${ams(next, { day: 'numeric', month: 'long' })} om ${pad(start)}:00`;
  await piet.getByRole('note').getByText(`Planbureau is nu gesloten. Je kunt je bericht gewoon sturen; het wordt beantwoord vanaf ${when}.`).waitFor();
  await checkA11y(piet, 'team conversation outside the team hours');
  // His 1:1 with Anna follows the practice, which keeps no hours: no notice.
  await piet.goto(ctx.server.base + '/contacts');
  await piet.getByRole('button', { name: 'Stuur bericht aan Anna de Vries' }).click();
  await piet.getByText('Kan ik morgen langskomen?').waitFor();
  assert.equal(await piet.getByRole('note').count(), 0);

  // All days empty: the team follows the practice again.
  await admin.goto(ctx.server.base + '/teams');
  await fillTeamHours('');
  await team.getByText('Voor dit team gelden de openingstijden van de praktijk.').waitFor();
  await piet.goto(ctx.server.base + '/contacts');
  await piet.getByRole('button', { name: 'Stuur bericht aan Planbureau' }).click();
  await piet.getByRole('heading', { name: 'Gesprek met Planbureau' }).waitFor();
  assert.equal(await piet.getByRole('note').count(), 0);
});
