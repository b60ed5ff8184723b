// The money questions (issue 14), with JavaScript on and off: costs per cost center and
// member whose rows lead to exactly their sessions in the history; is an invoice paid and
// which sessions make up its total (the specification, its CSV export); cost centers
// created, renamed, archived and restored; members' defaults from a CSV (preview, a refused
// apply, a real apply) and from the member list; the monthly report's settings.
const fs = require('fs');
const { test, expect } = require('../test');
const ids = require('../ids');
const { signIn } = require('../auth');
const { postSessions } = require('../ingest');

const byId = (page, id) => page.locator(`#${id}`);
const { fixtures } = require('../fixtures');
/** "1 234,50 kr" → 123450 (öre). */
const ore = (text) => Math.round(Number(text.replace(/[^\d,.-]/g, '').replace(',', '.')) * 100);
const int = (text) => Number(text.replace(/[^\d-]/g, ''));

async function hydrated(page, js) {
  if (js) await expect(page.locator(`html[${ids.HYDRATED_ATTR}="true"]`)).toHaveCount(1);
}

/** The history totals of the page the browser is on: (sessions, cost in öre). */
async function historyTotals(page) {
  await expect(byId(page, ids.HISTORY_TOTAL_SESSIONS)).toBeVisible();
  return [
    int(await byId(page, ids.HISTORY_TOTAL_SESSIONS).textContent()),
    ore(await byId(page, ids.HISTORY_TOTAL_COST).textContent()),
  ];
}

/** (sessions, cost in öre) of a breakdown row. */
async function rowFigures(row) {
  const cells = row.locator('td');
  return [int(await cells.nth(0).textContent()), ore(await cells.nth(3).textContent())];
}

test('a finance viewer: what March cost per cost center, who drove it up, and the sessions behind each row @both', async ({ page }, info) => {
  const js = info.project.name === 'js';
  const f = fixtures();
  await signIn(page, js ? f.financeJs : f.financeNoJs, { hydrated: js });
  await expect(page).toHaveURL(/\/$/);
  await byId(page, ids.HOME_COSTS_LINK).click();
  // The last complete month by default.
  await expect(byId(page, ids.COSTS_PERIOD)).toBeVisible();
  await hydrated(page, js);
  await byId(page, ids.COSTS_MONTH).selectOption('3');
  await byId(page, ids.COSTS_YEAR).fill('2026');
  await byId(page, ids.COSTS_SHOW).click();
  await expect(page).toHaveURL(/month=3/);
  await expect(byId(page, ids.COSTS_PERIOD)).toHaveText('mars 2026');
  // The chart is there without JavaScript too: an SVG with a link per month.
  await expect(page.locator('svg.chart a')).toHaveCount(13);

  // The cost centers add up to the month's total.
  const centers = byId(page, ids.COSTS_COST_CENTERS).locator('tbody tr');
  const n = await centers.count();
  expect(n).toBeGreaterThan(2);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += (await rowFigures(centers.nth(i)))[1];
  const total = ore(await byId(page, ids.COSTS_TOTAL).locator('dd.cost').textContent());
  expect(sum).toBe(total);

  // A row in the middle, as a person would pick it: its link shows exactly its sessions.
  const row = centers.nth(Math.floor(n / 2));
  const figures = await rowFigures(row);
  await row.locator('th a').click();
  await expect(page).toHaveURL(/\/history\?year=2026&month=3&cost_center=/);
  expect(await historyTotals(page)).toEqual(figures);
  // Back to the costs of March.
  await page.goBack();
  await expect(byId(page, ids.COSTS_PERIOD)).toHaveText('mars 2026');

  // Who drove it up: the third member row, and its sessions.
  const members = byId(page, ids.COSTS_MEMBERS).locator('tbody tr');
  expect(await members.count()).toBeGreaterThan(3);
  const member = members.nth(2);
  const memberFigures = await rowFigures(member);
  await member.locator('th a').click();
  await expect(page).toHaveURL(/member=/);
  expect(await historyTotals(page)).toEqual(memberFigures);

  // A bookmarked month loads as it was left.
  await page.goto('/costs?year=2026&month=2');
  await expect(byId(page, ids.COSTS_PERIOD)).toHaveText('februari 2026');
  // A bad month is named, not guessed.
  await page.goto('/costs?year=2026&month=13');
  await expect(page.locator('.error[role="alert"]')).toBeVisible();
});

test('a finance viewer: is the February invoice paid, which sessions make it up, and its CSV @both', async ({ page }, info) => {
  const js = info.project.name === 'js';
  const f = fixtures();
  await signIn(page, js ? f.invoicesJs : f.invoicesNoJs, { hydrated: js });
  await expect(page).toHaveURL(/\/$/);
  await page.goto('/invoices?year=2026');
  await expect(byId(page, ids.INVOICES_TABLE)).toBeVisible();
  const february = byId(page, ids.INVOICES_TABLE).locator('tbody tr', { hasText: 'februari 2026' });
  await expect(february).toHaveCount(1);
  const status = (await february.locator('.badge.status').textContent()).trim();
  expect(['Betald', 'Obetald', 'Förfallen', 'Krediterad']).toContain(status);
  const amount = ore(await february.locator('td.cost').textContent());

  // Filtering by status keeps only that status.
  await byId(page, ids.INVOICES_STATUS).selectOption('paid');
  await byId(page, ids.INVOICES_SUBMIT).click();
  await expect(page).toHaveURL(/status=paid/);
  const statuses = await byId(page, ids.INVOICES_TABLE).locator('.badge.status').allTextContents();
  expect(statuses.length).toBeGreaterThan(0);
  expect(new Set(statuses.map((s) => s.trim()))).toEqual(new Set(['Betald']));

  await page.goto('/invoices?year=2026');
  await byId(page, ids.INVOICES_TABLE)
    .locator('tbody tr', { hasText: 'februari 2026' })
    .locator('th a')
    .click();
  await expect(page).toHaveURL(/\/invoices\/[0-9a-f-]{36}/);
  await expect(byId(page, ids.INVOICE_TOTAL)).toBeVisible();
  expect(ore(await byId(page, ids.INVOICE_TOTAL).textContent())).toBe(amount);
  // The cost centers' subtotals add up to the invoice's total.
  const rows = byId(page, ids.INVOICE_COST_CENTERS).locator('tbody tr');
  let sum = 0;
  for (let i = 0; i < (await rows.count()); i++) sum += ore(await rows.nth(i).locator('td.cost').textContent());
  expect(sum).toBe(amount);
  // And the members' groups too (each with its lines on this small invoice).
  const subtotals = await byId(page, ids.INVOICE_MEMBERS).locator('.spec-group .subtotal').allTextContents();
  expect(subtotals.length).toBeGreaterThan(2);
  expect(subtotals.map((s) => ore(s.split(':').pop())).reduce((a, b) => a + b, 0)).toBe(amount);
  // A session line leads to that session in the history: its plate on its day.
  const line = byId(page, ids.INVOICE_MEMBERS).locator('.spec-lines tbody tr').nth(4);
  const plate = (await line.locator('td.plate').textContent()).trim();
  await line.locator('td.time a').click();
  await expect(page).toHaveURL(/\/history\?from=2026-02-\d\d&to=2026-02-\d\d&plate=/);
  // (The history's own table: the invoice's lines have plates too, and may still be on screen.)
  await expect(byId(page, ids.HISTORY_TABLE).locator('td.plate', { hasText: plate }).first()).toBeVisible();
  await page.goBack();
  await expect(byId(page, ids.INVOICE_TOTAL)).toBeVisible();
  // Printed: the specification without the site's header, the buttons or the back link.
  await page.emulateMedia({ media: 'print' });
  await expect(page.locator('header').first()).toBeHidden();
  await expect(byId(page, ids.INVOICE_EXPORT)).toBeHidden();
  await expect(byId(page, ids.INVOICE_COST_CENTERS)).toBeVisible();
  await page.emulateMedia({ media: 'screen' });

  if (js) {
    await hydrated(page, js);
    const download = page.waitForEvent('download');
    await byId(page, ids.INVOICE_EXPORT).click();
    const file = await (await download).path();
    const text = fs.readFileSync(file, 'utf8');
    expect(text.charCodeAt(0)).toBe(0xfeff);
    const lines = text.slice(1).split('\r\n').filter((l) => l.length);
    expect(lines[0]).toContain('Belopp inkl. moms (SEK)');
    // Every line once, and they add up to the invoice (the amount is the sixth column).
    const amounts = lines.slice(1).map((l) => ore(l.split(';')[5]));
    expect(amounts.reduce((a, b) => a + b, 0)).toBe(amount);
    await expect(byId(page, ids.INVOICE_EXPORTED)).toBeVisible();
    // The notice is for the screen: a print-out after the export is the specification alone.
    await page.emulateMedia({ media: 'print' });
    await expect(byId(page, ids.INVOICE_EXPORTED)).toBeHidden();
    await expect(byId(page, ids.INVOICE_COST_CENTERS)).toBeVisible();
    await page.emulateMedia({ media: 'screen' });
  } else {
    // Without JavaScript the export says it needs it, and the page prints as it is.
    await expect(byId(page, ids.INVOICE_EXPORT)).toBeDisabled();
  }
});

test('an admin creates, renames, archives and restores a cost center @both', async ({ page }, info) => {
  const js = info.project.name === 'js';
  const f = fixtures();
  await signIn(page, js ? f.costCentersJs : f.costCentersNoJs, { hydrated: js });
  await expect(page).toHaveURL(/\/$/);
  await byId(page, ids.HOME_COST_CENTERS_LINK).click();
  await expect(byId(page, ids.COST_CENTERS_TABLE)).toBeVisible();
  await expect(byId(page, ids.COST_CENTERS_RULE)).toContainText('nya sessioner');
  await hydrated(page, js);
  const code = js ? '7701' : '7702';
  await byId(page, ids.COST_CENTER_NEW_CODE).fill(code);
  await byId(page, ids.COST_CENTER_NEW_NAME).fill('Nytt projekt');
  await byId(page, ids.COST_CENTER_CREATE).locator('button[type="submit"]').click();
  const row = byId(page, ids.COST_CENTERS_TABLE).locator(`tr[data-code="${code}"]`);
  await expect(row).toContainText('Aktivt');
  await expect(row.locator('input[name="name"]')).toHaveValue('Nytt projekt');
  // The same code again is refused by name, and nothing is added.
  await byId(page, ids.COST_CENTER_NEW_CODE).fill(code);
  await byId(page, ids.COST_CENTER_NEW_NAME).fill('Dubblett');
  await byId(page, ids.COST_CENTER_CREATE).locator('button[type="submit"]').click();
  // Said as what it is, not as the CSV import's "repeated in the file" (issue 26).
  await expect(byId(page, ids.FORM_ERROR)).toContainText('Det finns redan ett kostnadsställe med den koden.');
  await expect(byId(page, ids.COST_CENTERS_TABLE).locator(`tr[data-code="${code}"]`)).toHaveCount(1);
  // Rename.
  await row.locator('input[name="name"]').fill('Projekt Öst');
  await row.locator('form').first().locator('button[type="submit"]').click();
  await expect(row.locator('input[name="name"]')).toHaveValue('Projekt Öst');
  // Archive, then restore.
  await row.locator('form').nth(1).locator('button[type="submit"]').click();
  await expect(row).toContainText('Arkiverat');
  await row.locator('form').nth(1).locator('button[type="submit"]').click();
  await expect(row).toContainText('Aktivt');
});

test('an admin sets members\' defaults from a CSV: preview, a bad row refuses the apply, then it applies @both', async ({ page }, info) => {
  const js = info.project.name === 'js';
  const f = fixtures();
  await signIn(page, js ? f.defaultsJs : f.defaultsNoJs, { hydrated: js });
  await expect(page).toHaveURL(/\/$/);
  await page.goto('/cost-centers');
  await hydrated(page, js);
  // The file chooser reads the file in the browser: without JavaScript it is not offered
  // (only the text box is), rather than shown and doing nothing.
  if (js) await expect(byId(page, ids.CC_IMPORT_FILE)).toBeVisible();
  else await expect(byId(page, ids.CC_IMPORT_FILE)).toBeHidden();
  const [a, b] = js ? f.defaultsTargets.slice(0, 2) : f.defaultsTargets.slice(2, 4);
  const bad = `email;cost_center_code\n${a};2010\n${b};9999\nnobody@nowhere.example;2010\n`;
  if (js) {
    // A file over 1 MB is not read: the box says why and stays empty. A chosen file fills the
    // text box and shows its preview at once, and the error about the size goes.
    const tooLarge = page.locator('#cost-centers-import .error[role="alert"]', { hasText: 'större än 1 MB' });
    await byId(page, ids.CC_IMPORT_FILE).setInputFiles({ name: 'stor.csv', mimeType: 'text/csv', buffer: Buffer.alloc(1_000_001, 'a') });
    await expect(tooLarge).toBeVisible();
    await expect(byId(page, ids.CC_IMPORT_CSV)).toHaveValue('');
    await byId(page, ids.CC_IMPORT_FILE).setInputFiles({ name: 'standard.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
    await expect(byId(page, ids.CC_IMPORT_SUMMARY)).toContainText('1 giltiga rader, 2 rader med fel');
    await expect(byId(page, ids.CC_IMPORT_CSV)).toHaveValue(bad);
    await expect(tooLarge).toHaveCount(0);
  }
  await byId(page, ids.CC_IMPORT_CSV).fill(bad);
  await byId(page, ids.CC_IMPORT_SUBMIT).click();
  await expect(byId(page, ids.CC_IMPORT_SUMMARY)).toContainText('1 giltiga rader, 2 rader med fel');
  // Applying a file with bad rows changes nothing.
  await byId(page, ids.CC_IMPORT_CSV).fill(bad);
  await byId(page, ids.CC_IMPORT_APPLY).check();
  await byId(page, ids.CC_IMPORT_SUBMIT).click();
  await expect(byId(page, ids.CC_IMPORT_REFUSED)).toBeVisible();
  await page.goto(`/members?q=${encodeURIComponent(a)}`);
  await expect(page.locator(`li[data-email="${a}"] select[name="cost_center"] option:checked`)).not.toContainText('2010');
  // A file of empty codes clears both defaults; then a good file sets them, every row.
  for (const file of [`email;cost_center_code\n${a};\n${b};\n`, `email;cost_center_code\n${a};2010\n${b};3010\n`]) {
    await page.goto('/cost-centers');
    await hydrated(page, js);
    await byId(page, ids.CC_IMPORT_CSV).fill(file);
    await byId(page, ids.CC_IMPORT_APPLY).check();
    await byId(page, ids.CC_IMPORT_SUBMIT).click();
    await expect(byId(page, ids.CC_IMPORT_SUMMARY)).toContainText('2 giltiga rader, 0 rader med fel');
  }
  await expect(byId(page, ids.CC_IMPORT_APPLIED)).toContainText('(2)');
  for (const [email, cc] of [[a, '2010'], [b, '3010']]) {
    await page.goto(`/members?q=${encodeURIComponent(email)}`);
    await expect(page.locator(`li[data-email="${email}"] select[name="cost_center"] option:checked`)).toContainText(cc);
  }
});

test('an admin changes a member\'s default from the member list, after a search @both', async ({ page }, info) => {
  const js = info.project.name === 'js';
  const f = fixtures();
  await signIn(page, js ? f.listJs : f.listNoJs, { hydrated: js });
  await expect(page).toHaveURL(/\/$/);
  // A search that finds several people; the third of them.
  await page.goto('/members?q=nordstrombygg');
  await hydrated(page, js);
  const card = page.locator('li.member-card').nth(2);
  const email = await card.getAttribute('data-email');
  const select = card.locator('select[name="cost_center"]');
  const options = await select.locator('option').allTextContents();
  const target = options.find((o) => o.startsWith('Service')) || options[options.length - 1];
  await select.selectOption({ label: target });
  await card.locator('form.cc-form button[type="submit"]').click();
  // Back on the same search, the choice stands (also after a reload).
  await expect(page).toHaveURL(/q=nordstrombygg/);
  await page.reload();
  await expect(page.locator(`li[data-email="${email}"] select[name="cost_center"] option:checked`)).toHaveText(target);
});

test('the cost page\'s others row and its guests row each lead to exactly their own sessions @both', async ({ page, baseURL }, info) => {
  const js = info.project.name === 'js';
  const f = fixtures();
  // A visitor's session (no member) in the data's last month, as the back office sends it.
  await postSessions(baseURL, [{
    id: `E2E-guest-${info.project.name}-${Date.now()}`, version: 1, company: f.orgNumber, app_user: null,
    plate: `GST ${String(Date.now()).slice(-3)}`, facility: Object.values(f.facilityCodes)[0], kind: 'parking',
    started_at: `${f.dataUntil}T09:00:00Z`, ended_at: `${f.dataUntil}T11:30:00Z`, energy_wh: null,
    amount_incl_vat: 9000, vat: 1800, cost_center: null,
  }]);
  await signIn(page, js ? f.costRowsJs : f.costRowsNoJs, { hydrated: js });
  await expect(page).toHaveURL(/\/$/);
  // The last month of the fixed demo data, where the big company has more members than the
  // page names one by one.
  await page.goto(`/costs?year=${f.dataYear}&month=${f.dataMonth}`);
  const members = byId(page, ids.COSTS_MEMBERS).locator('tbody tr');
  const total = ore(await byId(page, ids.COSTS_TOTAL).locator('dd.cost').textContent());
  // The others: every one of them by name, and they add up to the others' row.
  const others = members.filter({ has: page.locator('th', { hasText: /^Övriga/ }) });
  await expect(others).toHaveCount(1);
  const [, othersCost] = await rowFigures(others);
  const named = new Set((await members.locator('th').allTextContents()).map((t) => t.trim()));
  await others.locator('th a').click();
  await expect(page).toHaveURL(/members=all#costs-members$/);
  await expect(members.filter({ has: page.locator('th', { hasText: /^Övriga/ }) })).toHaveCount(0);
  const n = await members.count();
  expect(n).toBeGreaterThan(named.size);
  let all = 0;
  let rest = 0;
  for (let i = 0; i < n; i++) {
    const row = members.nth(i);
    const [, cost] = await rowFigures(row);
    all += cost;
    if (!named.has((await row.locator('th').textContent()).trim())) rest += cost;
  }
  expect(all).toBe(total);
  expect(rest).toBe(othersCost);
  // A person among them, picked from the lower half: their own sessions.
  const one = members.nth(Math.floor(n * 0.75));
  const oneFigures = await rowFigures(one);
  await one.locator('th a').click();
  await expect(page).toHaveURL(/member=[0-9a-f-]{36}/);
  expect(await historyTotals(page)).toEqual(oneFigures);
  await page.goBack();
  // The guests: the history of exactly the sessions without a member.
  const guests = members.filter({ has: page.locator('th', { hasText: /^Gäst$/ }) });
  await expect(guests).toHaveCount(1);
  const guestFigures = await rowFigures(guests);
  await guests.locator('th a').click();
  await expect(page).toHaveURL(/\/history\?year=\d+&month=\d+&member=guests/);
  expect(await historyTotals(page)).toEqual(guestFigures);
  await expect(page.locator('.chip')).toContainText('Gäster');
});

test('an admin chooses the monthly report\'s recipients and language @both', async ({ page }, info) => {
  const js = info.project.name === 'js';
  const f = fixtures();
  await signIn(page, js ? f.reportJs : f.reportNoJs, { hydrated: js });
  await expect(page).toHaveURL(/\/$/);
  await page.goto('/costs');
  await byId(page, ids.COSTS_REPORT_LINK).click();
  await expect(byId(page, ids.REPORT_FORM)).toBeVisible();
  await hydrated(page, js);
  const boxes = byId(page, ids.REPORT_FORM).locator('input[type="checkbox"]');
  expect(await boxes.count()).toBeGreaterThan(2);
  // Everyone off but the second and the last.
  const n = await boxes.count();
  for (let i = 0; i < n; i++) await boxes.nth(i).setChecked(i === 1 || i === n - 1);
  await byId(page, ids.REPORT_LANG).selectOption('en');
  await byId(page, ids.REPORT_SAVE).click();
  if (js) await expect(byId(page, ids.REPORT_SAVED)).toBeVisible();
  await page.goto('/costs/report');
  for (let i = 0; i < n; i++) {
    await expect(boxes.nth(i)).toBeChecked({ checked: i === 1 || i === n - 1 });
  }
  await expect(byId(page, ids.REPORT_LANG)).toHaveValue('en');
});
