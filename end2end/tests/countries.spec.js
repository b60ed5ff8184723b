// A Finnish and a Norwegian company as a Finn and a Norwegian see them with JavaScript off
// (issue 33): the pages as the server renders them — the month's history with the company's
// garages, plates the country's way and its currency, the plate filter's example, an invoice
// with the organisation number as the country writes it, the monthly report proposed in the
// country's language. JavaScript on is i18n.spec.js (same accounts: a sign-in per address per
// minute: this test signs in admins of their own, fixtures.py); every page and the report
// mail on both databases are server/tests/it/countries.rs.
const { test, expect } = require('../test');
const ids = require('../ids');
const { signIn } = require('../auth');
const { fixtures } = require('../fixtures');

const byId = (page, id) => page.locator(`#${id}`);

for (const c of [
  {
    who: 'a Finnish admin', locale: 'fi-FI', lang: 'fi',
    org: '1234567-1', money: /\d,\d\d\u00a0€/, foreign: /\u00a0kr|SEK|NOK/, city: 'Helsinki',
    plate: /^[A-Z]{3}-\d{1,3}$/, example: 'ABC-123',
  },
  {
    who: 'a Norwegian admin', locale: 'nb-NO', lang: 'nb',
    org: '987 654 325', money: /\d,\d\d\u00a0kr/, foreign: /€|EUR|SEK/, city: 'Oslo',
    plate: /^[A-Z]{2} \d{5}$/, example: 'AB 12345',
  },
]) {
  test.describe(c.who, () => {
    test.use({ locale: c.locale });

    test(`without JavaScript sees the company in ${c.lang}, its currency, plates and organisation number @nojs`, async ({ page }) => {
      await signIn(page, fixtures().countries[c.lang], { hydrated: false });
      await expect(page).toHaveURL(/\/$/);
      const f = fixtures();
      // The header's company carries its number.
      await expect(page.locator('.header-company')).toHaveAttribute('title', c.org);

      // The month the demo data lives in, from a bookmark: the seventh row (not the first)
      // is at the country's garages with its plate; amounts in the company's currency only.
      await page.goto(`/history?year=${f.dataYear}&month=${f.dataMonth}`);
      await expect(page.locator('html')).toHaveAttribute('lang', c.lang);
      await expect(page.locator('.totals').first()).toContainText(c.money);
      const row = page.locator('.history-table tbody tr').nth(6);
      await expect(row).toContainText(c.city);
      await expect(row.locator('td.plate')).toHaveText(c.plate);
      await expect(page.locator('main')).not.toContainText(c.foreign);
      await expect(byId(page, ids.HISTORY_PLATE)).toHaveAttribute('placeholder', c.example);
      // Its plate typed in lower case without the country's separator finds it.
      const plate = (await row.locator('td.plate').textContent()).trim();
      await byId(page, ids.HISTORY_PLATE).fill(plate.replace(/[ -]/, '').toLowerCase());
      await byId(page, ids.HISTORY_PLATE).press('Enter');
      await expect(page).toHaveURL(/plate=/);
      const found = page.locator('.history-table tbody tr');
      expect(await found.count()).toBeGreaterThan(0);
      for (const cell of await found.locator('td.plate').allTextContents()) expect(cell.trim()).toBe(plate);

      // An invoice, the third of the list (a person opens any): the company by its number.
      await page.goto('/invoices');
      const links = page.locator(`#${ids.INVOICES_TABLE} tbody tr a`);
      expect(await links.count()).toBeGreaterThan(2);
      await links.nth(2).click();
      await expect(page.locator('.org-number')).toHaveText(c.org);
      await expect(byId(page, ids.INVOICE_TOTAL)).toContainText(c.money);

      // The monthly report is proposed in the country's language.
      await page.goto('/costs/report');
      await expect(byId(page, ids.REPORT_LANG)).toHaveValue(c.lang);
    });
  });
}
