// Company policies (issue 31), with JavaScript on and off, as a new admin would try them: a
// refused form that names the field, then "weekdays 06–20, parking only, at most 10 hours,
// 2,000 a month" for the third of three cost centers, in force from 1 November 2026; a signed
// batch with a Saturday charge of 22 hours that shows in the history, filtered "outside
// policy" from the form, with its three reasons; the member sees the rules in force with
// where each comes from, and registers their car. Each mode has a company of its own
// (end2end/fixtures.py), and every date is fixed.
const { test, expect } = require('../test');
const ids = require('../ids');
const { signIn } = require('../auth');
const { postSessions } = require('../ingest');
const { fixtures } = require('../fixtures');

const byId = (page, id) => page.locator(`#${id}`);

test('an admin sets a cost center\'s rules and a Saturday charge of 22 hours shows as outside policy @both', async ({ page, browser, baseURL }, info) => {
  test.setTimeout(120_000);
  const js = info.project.name === 'js';
  const f = fixtures();
  const p = f.policies[js ? 'js' : 'nojs'];
  await signIn(page, p.admin, { hydrated: js });
  await expect(page).toHaveURL(/\/$/);
  await page.getByRole('link', { name: 'Regler', exact: true }).first().click();
  await expect(page).toHaveURL(/\/policies$/);
  await expect(page.locator('h2').first()).toHaveText('Regler för hela företaget');

  // The third cost center, chosen from the list.
  await page.locator('#policy-cost-center').selectOption({ label: p.center });
  await byId(page, ids.POLICY_CENTER_PICK).getByRole('button').click();
  await expect(page).toHaveURL(/cost_center=/);
  await expect(page.locator('h2').first()).toHaveText(`Regler för kostnadsstället ${p.center}`);

  const form = byId(page, ids.POLICY_FORM);
  const fill = async (hoursFrom) => {
    await form.locator('#policy-days').selectOption('weekdays');
    await form.locator('#policy-hours_from').fill(hoursFrom);
    await form.locator('#policy-hours_to').fill('20:00');
    await form.locator('#policy-parking').selectOption('yes');
    await form.locator('#policy-charging').selectOption('no');
    await form.locator('#policy-max_stay_hours').fill('10');
    await form.locator('#policy-monthly_cap').fill('2 000');
    await form.locator('#policy-valid-from').fill('2026-11-01');
  };
  // A typo first: the error names the field and the rule; nothing is in force.
  await fill('25:00');
  await form.getByRole('button', { name: 'Spara reglerna' }).click();
  await expect(byId(page, ids.FORM_ERROR)).toContainText('Sessioner får starta: värdet ligger utanför det tillåtna');
  await expect(page.getByText('Inga regler har satts på den här nivån än.')).toBeVisible();

  await fill('06:00');
  await form.getByRole('button', { name: 'Spara reglerna' }).click();
  await expect(page.getByText('Gäller sedan 2026-11-01 00:00.')).toBeVisible();
  await expect(byId(page, ids.FORM_ERROR)).toHaveCount(0);
  // The saved rules are what the form shows on a fresh load.
  await page.reload();
  await expect(form.locator('#policy-hours_from')).toHaveValue('06:00');
  await expect(form.locator('#policy-charging')).toHaveValue('no');

  // The operator's back office sends a Saturday charge of 22 hours and a weekday within the
  // rules (the member's sessions go to their default cost center, the third).
  const stamp = `${js ? 'js' : 'nojs'}-${Date.now()}`;
  const facility = Object.values(f.facilityCodes)[0];
  const base = { version: 1, company: p.orgNumber, app_user: { email: p.member }, facility, cost_center: null };
  await postSessions(baseURL, [
    { ...base, id: `E2E-policy-sat-${stamp}`, plate: 'RGL 100', kind: 'charging',
      started_at: '2026-11-07T10:00:00+01:00', ended_at: '2026-11-08T08:00:00+01:00',
      energy_wh: 30000, amount_incl_vat: 25000, vat: 5000 },
    { ...base, id: `E2E-policy-mon-${stamp}`, plate: 'RGL 100', kind: 'parking',
      started_at: '2026-11-09T08:00:00+01:00', ended_at: '2026-11-09T09:30:00+01:00',
      energy_wh: null, amount_incl_vat: 4000, vat: 800 },
  ]);

  // The history of November, filtered from the form as a person would.
  await page.goto('/history?year=2026&month=11');
  await expect(byId(page, ids.HISTORY_TABLE).locator('tbody tr')).toHaveCount(2);
  await byId(page, ids.HISTORY_POLICY).selectOption('outside');
  await byId(page, ids.HISTORY_SUBMIT).click();
  await expect(page).toHaveURL(/policy=outside/);
  const rows = byId(page, ids.HISTORY_TABLE).locator('tbody tr');
  await expect(rows).toHaveCount(1);
  const reasons = rows.first().locator('td.policy li');
  await expect(reasons).toHaveText(['Utanför tillåten tid', 'Laddning inte tillåten', 'Över maxtid']);

  // The member, in a browser of the same mode: their rules in force and where each is set.
  const theirs = await browser.newContext({ baseURL, javaScriptEnabled: js });
  const them = await theirs.newPage();
  await signIn(them, p.member, { hydrated: js });
  // Signed in (the home page) before going on: a navigation now would cut the sign-in short.
  await expect(them).toHaveURL(/\/$/);
  await them.goto('/policies');
  const line = (rule) => byId(them, ids.POLICY_EFFECTIVE).locator('tr', { hasText: rule });
  await expect(line('Laddning')).toContainText('Inte tillåten');
  await expect(line('Laddning')).toContainText('Kostnadsstället');
  await expect(line('Maxtid')).toContainText('10 h');
  await byId(them, ids.POLICY_VEHICLE_ADD).locator('#policy-plate').fill('rgl-100');
  await byId(them, ids.POLICY_VEHICLE_ADD).getByRole('button').click();
  await expect(byId(them, ids.POLICY_VEHICLES).locator('li')).toHaveText(['RGL 100Ta bort']);
  // Their history shows the flag on their own session.
  await them.goto('/history?year=2026&month=11&policy=outside');
  await expect(byId(them, ids.HISTORY_TABLE).locator('tbody tr td.policy li').first()).toHaveText('Utanför tillåten tid');
  await theirs.close();

  // The costs of November: what was outside policy, on the total and on the cost center's
  // row, each a link to exactly those sessions.
  await page.goto('/costs?year=2026&month=11');
  const total = byId(page, ids.COSTS_TOTAL);
  await expect(total).toContainText('Utanför reglerna');
  await expect(total).toContainText('250,00\u00a0kr');
  const centerRow = byId(page, ids.COSTS_COST_CENTERS).locator('tr', { hasText: p.center });
  await expect(centerRow.locator('td.outside a')).toHaveText('250,00\u00a0kr');

  // A budget for the third cost center: a typo first (refused by field, nothing saved), then
  // 300 kr, which November's 290 kr puts at 96 %: near the budget, 10 kr left.
  const budgetForm = byId(page, ids.COSTS_BUDGET_FORM);
  await budgetForm.locator('#budget-target').selectOption({ label: p.center });
  await budgetForm.locator('#budget-amount').fill('trehundra');
  await budgetForm.getByRole('button', { name: 'Spara budget' }).click();
  await expect(byId(page, ids.FORM_ERROR)).toContainText('Månadsbudget: skriv ett belopp, till exempel 2000 eller 149,50.');
  await expect(page.getByText('Inga budgetar är satta.')).toBeVisible();
  await budgetForm.locator('#budget-target').selectOption({ label: p.center });
  await budgetForm.locator('#budget-amount').fill('300');
  await budgetForm.getByRole('button', { name: 'Spara budget' }).click();
  const budgetRow = byId(page, ids.COSTS_BUDGETS).locator('tbody tr', { hasText: p.center });
  await expect(budgetRow).toHaveClass(/budget near/);
  await expect(budgetRow).toContainText('290,00\u00a0kr (96\u00a0%)');
  await expect(budgetRow.locator('td.remaining')).toHaveText('10,00\u00a0kr');
  await expect(page).toHaveURL(/\/costs\?year=2026&month=11/);

  // Who is told what: the admin wants the budget alerts by mail at once.
  await page.getByRole('link', { name: 'Aviseringar', exact: true }).first().click();
  await expect(page).toHaveURL(/\/notices$/);
  await page.locator('#alert-budget').selectOption('immediate');
  await byId(page, ids.NOTICES_SETTINGS).getByRole('button', { name: 'Spara val' }).click();
  await expect(page.getByText('Dina val är sparade.')).toBeVisible();
  await page.reload();
  await expect(page.locator('#alert-budget')).toHaveValue('immediate');
  await expect(page.locator('#alert-policy')).toHaveValue('portal');

  // Only some facilities, for the cost center: the fifth and the seventh of the list, as a
  // person picks them (a later date, so the November sessions above keep their judgement).
  await page.goto('/policies');
  await page.locator('#policy-cost-center').selectOption({ label: p.center });
  await byId(page, ids.POLICY_CENTER_PICK).getByRole('button').click();
  await expect(page).toHaveURL(/cost_center=/);
  const boxes = form.locator('.facility-boxes input[type=checkbox]');
  const fifth = (await boxes.nth(4).locator('xpath=..').innerText()).trim();
  const seventh = (await boxes.nth(6).locator('xpath=..').innerText()).trim();
  await boxes.nth(4).check();
  await boxes.nth(6).check();
  await form.locator('#policy-valid-from').fill('2026-12-01');
  await form.getByRole('button', { name: 'Spara reglerna' }).click();
  await expect(page.getByText('Gäller sedan 2026-12-01 00:00.')).toBeVisible();
  await page.reload();
  await expect(boxes.nth(4)).toBeChecked();
  await expect(boxes.nth(6)).toBeChecked();
  await expect(form.locator('.facility-boxes input:checked')).toHaveCount(2);
  // The form came filled with the rules in force, so the new version keeps them.
  await expect(form.locator('#policy-hours_from')).toHaveValue('06:00');
  expect([fifth, seventh].every((name) => name.includes(', '))).toBe(true);
});
