// Time is an input (issue 26): what a person sees "now", whatever now is. Every expectation
// here is computed from the clock of the moment the test runs, in the company's own zone, never
// from a fixed date. `make test` runs this file at the real date and again with every clock
// (the portal's, the browser's, this process's, the mail catcher's) set to one of the
// calendar's hard moments; `make test-calendar` runs the whole suite at each of them
// (scripts/test-calendar.sh).
const fs = require('fs');
const { test, expect } = require('../test');
const ids = require('../ids');
const { signIn } = require('../auth');
const { parseCsv } = require('../csv');
const { fixtures } = require('../fixtures');
const { postSessions } = require('../ingest');

const byId = (page, id) => page.locator(`#${id}`);
// The demo company's zone (server/src/demo/catalog.rs) and the page's language.
const ZONE = 'Europe/Stockholm';
const MONTHS = ['januari', 'februari', 'mars', 'april', 'maj', 'juni', 'juli', 'augusti',
  'september', 'oktober', 'november', 'december'];

/** The wall clock in the company's zone at `ms`: { y, m, d, date: 'YYYY-MM-DD', time: 'HH:MM' }. */
function local(ms) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
    }).formatToParts(new Date(ms)).map((p) => [p.type, p.value]),
  );
  const date = `${parts.year}-${parts.month}-${parts.day}`;
  return { y: Number(parts.year), m: Number(parts.month), d: Number(parts.day), date, time: `${parts.hour}:${parts.minute}`, at: `${date} ${parts.hour}:${parts.minute}` };
}

const monthBefore = ({ y, m }) => (m === 1 ? { y: y - 1, m: 12 } : { y, m: m - 1 });
const label = ({ y, m }) => `${MONTHS[m - 1]} ${y}`;

// Under scripts/test-calendar.sh every clock starts at the moment the run is for: this process's,
// the browser's and the portal's (its HTTP Date header). A run whose clocks were not moved
// would pass at today's date and prove nothing about the moment.
test('every clock is at the moment this run is for @js', async ({ page, baseURL }) => {
  const at = Number(process.env.E2E_FAKED_AT || 0);
  test.skip(!at, 'a run at the real date (scripts/test-calendar.sh sets the moment)');
  const near = (ms) => ms >= at * 1000 - 5_000 && ms <= at * 1000 + 3 * 3600_000;
  expect(near(Date.now()), `this process: ${new Date().toISOString()}`).toBe(true);
  await page.goto('/sign-in');
  const browser = await page.evaluate(() => Date.now());
  expect(near(browser), `the browser: ${new Date(browser).toISOString()}`).toBe(true);
  const res = await fetch(`${baseURL}/healthz`);
  const server = Date.parse(res.headers.get('date'));
  expect(near(server), `the portal: ${res.headers.get('date')}`).toBe(true);
});

test('the history opens on this month, says so, and offers the month before in one click @both', async ({ page }, info) => {
  const js = info.project.name === 'js';
  const f = fixtures();
  // A member who has never parked: "this month" is empty whatever the date.
  await signIn(page, js ? f.calendarMemberJs : f.calendarMemberNoJs, { hydrated: js });
  await expect(page).toHaveURL(/\/$/);
  await page.goto('/history');
  if (js) await expect(page.locator(`html[${ids.HYDRATED_ATTR}="true"]`)).toHaveCount(1);
  const now = local(Date.now());
  // Which period this is, at a glance, and what the empty state says.
  await expect(byId(page, ids.HISTORY_PERIOD)).toHaveText(`Visar ${label(now)}`);
  await expect(byId(page, ids.HISTORY_EMPTY)).toContainText(`i ${label(now)}.`);
  // One click to the month before (across the turn of the year on 1 January).
  const before = monthBefore(now);
  await expect(byId(page, ids.HISTORY_EARLIER)).toHaveText(`Visa ${label(before)}`);
  await byId(page, ids.HISTORY_EARLIER).click();
  await expect(page).toHaveURL(new RegExp(`[?&]year=${before.y}&month=${before.m}(&|$)`));
  await expect(byId(page, ids.HISTORY_PERIOD)).toHaveText(`Visar ${label(before)}`);
  await expect(byId(page, ids.HISTORY_EMPTY)).toContainText(`i ${label(before)}.`);
  await expect(byId(page, ids.HISTORY_EARLIER)).toHaveText(`Visa ${label(monthBefore(before))}`);
  // Back is this month again.
  await page.goBack();
  await expect(byId(page, ids.HISTORY_PERIOD)).toHaveText(`Visar ${label(now)}`);
  // A whole year steps back a year.
  await page.goto(`/history?year=${now.y}&month=all`);
  await expect(byId(page, ids.HISTORY_EARLIER)).toHaveText(`Visa ${now.y - 1}`);
});

test('a session that ran up to now is on its local start day and month, at its local times, on the page and in the export @js', async ({ page, baseURL }) => {
  const f = fixtures();
  // Started 2 h 25 min ago, ended 5 minutes ago: at a hard moment it runs across the turn of a
  // day, a month or a year, or across a daylight-saving change.
  const endMs = Math.floor(Date.now() / 60_000) * 60_000 - 5 * 60_000;
  const startMs = endMs - 145 * 60_000;
  const start = local(startMs);
  const end = local(endMs);
  const plate = `KAL ${String(Date.now()).slice(-3)}`;
  await postSessions(baseURL, [{
    id: `E2E-calendar-${Date.now()}`, version: 1, company: f.orgNumber, app_user: null,
    plate, facility: Object.values(f.facilityCodes)[0], kind: 'parking',
    started_at: new Date(startMs).toISOString(), ended_at: new Date(endMs).toISOString(),
    energy_wh: null, amount_incl_vat: 12345, vat: 2469, cost_center: null,
  }]);
  await signIn(page, f.calendarJs);
  await expect(page).toHaveURL(/\/$/);
  const rowOf = () => byId(page, ids.HISTORY_TABLE).locator('tbody tr');
  const q = `plate=${encodeURIComponent(plate)}`;

  // Its start day: one row, at the local wall-clock times, lasting the real 2 h 25 min (on a
  // day the clocks change, end minus start on the wall clock is an hour more or less).
  await page.goto(`/history?from=${start.date}&to=${start.date}&${q}`);
  await expect(rowOf()).toHaveCount(1);
  await expect(rowOf().locator('td.time').nth(0)).toHaveText(start.at);
  await expect(rowOf().locator('td.time').nth(1)).toHaveText(end.at);
  await expect(rowOf().locator('td.nowrap')).toHaveText('2 h 25 min');
  // The day it ended on, when that is another day, does not hold it.
  if (end.date !== start.date) {
    await page.goto(`/history?from=${end.date}&to=${end.date}&${q}`);
    await expect(byId(page, ids.HISTORY_EMPTY)).toBeVisible();
  }
  // Its month holds it once, with its cost in the month's total.
  await page.goto(`/history?year=${start.y}&month=${start.m}&${q}`);
  await expect(rowOf()).toHaveCount(1);
  await expect(byId(page, ids.HISTORY_TOTAL_SESSIONS)).toHaveText('1');
  await expect(byId(page, ids.HISTORY_TOTAL_COST)).toHaveText(/^123,45\s*kr$/);
  // This month's default page: if the session started in the month before (the first minutes
  // of a month), the empty state leads to it in one click.
  const now = local(Date.now());
  if (now.y !== start.y || now.m !== start.m) {
    await page.goto(`/history?${q}`);
    await expect(byId(page, ids.HISTORY_EMPTY)).toContainText(label(now));
    await byId(page, ids.HISTORY_EARLIER).click();
    await expect(rowOf()).toHaveCount(1);
    await expect(byId(page, ids.HISTORY_PERIOD)).toHaveText(`Visar ${label(start)}`);
    await page.goto(`/history?year=${start.y}&month=${start.m}&${q}`);
  }
  // The export: the same local times, the real minutes.
  await expect(page.locator(`html[${ids.HYDRATED_ATTR}="true"]`)).toHaveCount(1);
  await page.locator(`#${ids.EXPORT_PANEL} summary`).click();
  await expect(byId(page, ids.EXPORT_START)).toBeEnabled();
  const [download] = await Promise.all([page.waitForEvent('download'), byId(page, ids.EXPORT_START).click()]);
  const [header, ...rows] = parseCsv(fs.readFileSync(await download.path(), 'utf8').slice(1), ';');
  expect(rows.length).toBe(1);
  const cell = (name) => rows[0][header.indexOf(name)];
  expect(cell('Start')).toBe(start.at);
  expect(cell('Slut')).toBe(end.at);
  expect(cell('Minuter')).toBe('145');
});
