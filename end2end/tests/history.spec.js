// The history page: filters in the URL (with and without JavaScript), the totals, the CSV
// export built in the browser (downloaded and parsed here), a member's own view, and the
// export inside a sandboxed iframe on another site.
const fs = require('fs');
const { test, expect } = require('../test');
const ids = require('../ids');
const { signIn } = require('../auth');
const { parseCsv } = require('../csv');

const byId = (page, id) => page.locator(`#${id}`);
const { fixtures } = require('../fixtures');

/** "1 234,50 kr" → 123450 (öre); "1 234" → 1234. */
const number = (text) => Number(text.replace(/[^\d,.-]/g, '').replace(',', '.'));
const ore = (text) => Math.round(number(text) * 100);

test('filter by month and plate; the URL keeps it through a reload; totals match the rows @both', async ({ page }, info) => {
  const js = info.project.name === 'js';
  const f = fixtures();
  await signIn(page, js ? f.adminJs : f.adminNoJs, { hydrated: js });
  await expect(page).toHaveURL(/\/$/);
  await page.goto('/history?year=2026&month=10');
  await expect(byId(page, ids.HISTORY_TABLE)).toBeVisible();
  await expect(byId(page, ids.HISTORY_COUNT)).toContainText('oktober 2026');
  const plate = (await page.locator('td.plate').first().textContent()).trim();
  // Typed the way people type plates: lower case, no space.
  await byId(page, ids.HISTORY_PLATE).fill(plate.replace(' ', '').toLowerCase());
  await byId(page, ids.HISTORY_SUBMIT).click();
  await expect(page).toHaveURL(/plate=/);
  await expect(page).toHaveURL(/month=10/);
  const plates = await page.locator('td.plate').allTextContents();
  expect(plates.length).toBeGreaterThan(0);
  expect(new Set(plates.map((p) => p.trim()))).toEqual(new Set([plate]));
  const total = number(await byId(page, ids.HISTORY_TOTAL_SESSIONS).textContent());
  expect(total).toBe(plates.length);
  // The costs on the page add up to the total above the table.
  const costs = await page.locator('td.cost').allTextContents();
  const sum = costs.reduce((a, c) => a + ore(c), 0);
  expect(sum).toBe(ore(await byId(page, ids.HISTORY_TOTAL_COST).textContent()));

  const url = page.url();
  await page.reload();
  expect(page.url()).toBe(url);
  await expect(byId(page, ids.HISTORY_MONTH)).toHaveValue('10');
  await expect(byId(page, ids.HISTORY_PLATE)).toHaveValue(new URL(url).searchParams.get('plate'));
  expect(await page.locator('td.plate').count()).toBe(plates.length);

  // A month with no sessions gets an honest empty state naming it.
  await page.goto(`/history?year=2024&month=3&plate=${encodeURIComponent(plate)}`);
  await expect(byId(page, ids.HISTORY_EMPTY)).toContainText('mars 2024');
  // A bad value in the URL names the field.
  await page.goto('/history?plate=inte-ett-regnummer');
  await expect(byId(page, ids.HISTORY_ERROR)).toContainText('Registreringsnummer');

  if (js) {
    // After hydration a select applies at once, and back returns to the previous filter.
    await page.goto('/history?year=2026&month=10');
    await expect(page.locator(`html[${ids.HYDRATED_ATTR}="true"]`)).toHaveCount(1);
    await byId(page, ids.HISTORY_KIND).selectOption('charging');
    await expect(page).toHaveURL(/kind=charging/);
    await expect(page.locator('.badge.kind[data-kind="parking"]')).toHaveCount(0);
    await page.goBack();
    await expect(page).not.toHaveURL(/kind=charging/);
    await expect(byId(page, ids.HISTORY_KIND)).toHaveValue('');
  }
});

test('export a filtered range: every row, totals equal, formulas defused, and audited @js', async ({ page }) => {
  const f = fixtures();
  await signIn(page, f.exporter);
  await expect(page).toHaveURL(/\/$/);
  await page.goto('/history?from=2026-10-01&to=2026-11-20&size=25');
  await expect(page.locator(`html[${ids.HYDRATED_ATTR}="true"]`)).toHaveCount(1);
  await expect(byId(page, ids.HISTORY_TABLE)).toBeVisible();
  // More rows than one page: the export must fetch them all, not the visible 25.
  const total = number(await byId(page, ids.HISTORY_TOTAL_SESSIONS).textContent());
  expect(total).toBeGreaterThan(25);
  expect(await page.locator('.history-table tbody tr').count()).toBe(25);
  await page.locator(`#${ids.EXPORT_PANEL} summary`).click();
  await expect(byId(page, ids.EXPORT_START)).toBeEnabled();
  const [download] = await Promise.all([page.waitForEvent('download'), byId(page, ids.EXPORT_START).click()]);
  expect(download.suggestedFilename()).toMatch(/^sessions-[a-z0-9-]+-2026-10-01_2026-11-20\.csv$/);
  const bytes = fs.readFileSync(await download.path());
  expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  const text = bytes.toString('utf8').slice(1);
  expect(text).toContain('\r\n');
  const rows = parseCsv(text, ';');
  const [header, ...data] = rows;
  expect(header[0]).toBe('Medlem');
  expect(data.length).toBe(total);
  for (const r of data) expect(r.length).toBe(header.length);
  const costCol = header.indexOf('Kostnad inkl. moms (SEK)');
  const sum = data.reduce((a, r) => a + Math.round(Number(r[costCol].replace(',', '.')) * 100), 0);
  expect(sum).toBe(ore(await byId(page, ids.HISTORY_TOTAL_COST).textContent()));
  // The member whose name is a formula: the cell starts with ' and is quoted.
  expect(text).toContain(`"'${f.formulaName.replaceAll('"', '""')}"`);
  expect(data.some((r) => r[0] === `'${f.formulaName}`)).toBe(true);
  expect(data.every((r) => !/^[=+\-@]/.test(r[0]))).toBe(true);
  await expect(byId(page, ids.EXPORT_DONE)).toContainText(String(total));

  await page.goto('/audit?action=history.exported');
  await expect(page.locator('[data-action="history.exported"]').first()).toContainText(`"rows":${total}`);
});

test('a member sees only their own sessions, whatever the URL asks @js', async ({ page }) => {
  const f = fixtures();
  await signIn(page, f.member);
  await expect(page).toHaveURL(/\/$/);
  await page.goto('/history?year=2026&month=all&member=anna');
  await expect(byId(page, ids.HISTORY_TABLE)).toBeVisible();
  const names = await page.locator('td.member').allTextContents();
  expect(names.length).toBeGreaterThan(0);
  expect(new Set(names.map((n) => n.trim()))).toEqual(new Set([f.memberName]));
  await expect(byId(page, ids.HISTORY_MEMBER)).toHaveCount(0);
});

test('inside a sandboxed iframe on another site, the export downloads @js', async ({ page, baseURL }) => {
  const f = fixtures();
  const host = 'http://127.0.0.2:3101/host.html';
  await page.route(host, (route) =>
    route.fulfill({
      contentType: 'text/html',
      body: `<!doctype html><title>Operatörens webbplats</title>
        <iframe id="portal" src="${baseURL}/sign-in" style="width:1000px;height:900px"
          sandbox="allow-scripts allow-same-origin allow-forms allow-downloads allow-top-navigation-by-user-activation"></iframe>`,
    }));
  await page.goto(host);
  const frame = page.frameLocator('#portal');
  await signIn(page, f.embedded, { scope: frame });
  await expect(frame.locator(`#${ids.HOME_HISTORY_LINK}`)).toBeVisible();
  await frame.locator(`#${ids.HOME_HISTORY_LINK}`).click();
  await expect(frame.locator(`#${ids.HISTORY_TABLE}`)).toBeVisible();
  await expect(frame.locator(`html[${ids.HYDRATED_ATTR}="true"]`)).toHaveCount(1);
  await frame.locator(`#${ids.EXPORT_PANEL} summary`).click();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    frame.locator(`#${ids.EXPORT_START}`).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^sessions-.*\.csv$/);
  const text = fs.readFileSync(await download.path(), 'utf8');
  expect(text.split('\r\n').length).toBeGreaterThan(2);
});
