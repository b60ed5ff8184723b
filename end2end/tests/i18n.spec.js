// Every language of the operator (issue 16): the language follows the browser, can be
// switched, and is remembered; amounts are in the company's currency in the language's form.
const { test, expect } = require('../test');
const ids = require('../ids');
const mail = require('../mail');
const { signIn } = require('../auth');
const { fixtures } = require('../fixtures');
const fs = require('fs');
const { parseCsv } = require('../csv');

const byId = (page, id) => page.locator(`#${id}`);

for (const [who, locale, email, lang, signInTitle, history, money, subject] of [
  ['a Finnish admin', 'fi-FI', 'aino.makinen@virtasenrakennus.example', 'fi', 'Kirjaudu yritysportaaliin', 'Historia', /\d,\d\d\u00a0€/, 'Aimo Park -kirjautumiskoodisi'],
  ['a Norwegian admin', 'nb-NO', 'ingrid.haugen@haugenbygg.example', 'nb', 'Logg inn i bedriftsportalen', 'Historikk', /\d,\d\d\u00a0kr/, 'Din innloggingskode til Aimo Park'],
]) {
  test.describe(who, () => {
    test.use({ locale });

    test(`whose browser asks for ${lang} gets the portal, the mail and the company's currency in it @js`, async ({ page }) => {
      await page.goto('/sign-in');
      await expect(page.locator('html')).toHaveAttribute('lang', lang);
      await expect(page.locator('h1')).toHaveText(signInTitle);
      const since = Date.now();
      await signIn(page, email);
      await expect(page).toHaveURL(/\/$/);
      const code = await mail.waitForMail(email, since, 15000, (m) => /\d{3} \d{3}/.test(m.text || ''));
      expect(code.html).toContain(`lang="${lang}"`);
      expect(code.subject).toBe(subject);
      // The one navigation, in the language.
      await page.locator('.main-nav').getByText(history, { exact: true }).click();
      await expect(page).toHaveURL(/\/history/);
      await expect(page.locator('html')).toHaveAttribute('lang', lang);
      // The page opens on this month, which holds none of the fixed demo data: the month the
      // data lives in, from a bookmark.
      const f = fixtures();
      await page.goto(`/history?year=${f.dataYear}&month=${f.dataMonth}`);
      // The company's amounts: euros in Finland, kroner in Norway, comma decimals.
      await expect(page.locator('.totals').first()).toContainText(money);
      // A date in the language's form: 5.11.2026 / 05.11.2026.
      await expect(page.locator('.history-table tbody tr').first()).toContainText(/\d{1,2}\.\d{1,2}\.20\d\d/);
      // Its people park at its own country's garages, and their plates are written the way
      // that country writes them (issue 33): the fifth row, not just the first.
      const fifth = page.locator('.history-table tbody tr').nth(4);
      await expect(fifth).toContainText(lang === 'fi' ? 'Helsinki' : 'Oslo');
      await expect(fifth.locator('td.plate')).toHaveText(lang === 'fi' ? /^[A-Z]{3}-\d{1,3}$/ : /^[A-Z]{2} \d{5}$/);
      // The plate filter shows how the country writes a plate.
      await expect(byId(page, ids.HISTORY_PLATE)).toHaveAttribute('placeholder', lang === 'fi' ? 'ABC-123' : 'AB 12345');
      // The CSV of the month: the amounts' titles name the company's currency, the fifth row
      // has the page's fifth plate as the country writes it, and the amounts add up to the
      // page's total.
      await expect(page.locator(`html[${ids.HYDRATED_ATTR}="true"]`)).toHaveCount(1);
      const plate = await fifth.locator('td.plate').textContent();
      await page.locator(`#${ids.EXPORT_PANEL} summary`).click();
      await expect(byId(page, ids.EXPORT_START)).toBeEnabled();
      const [download] = await Promise.all([page.waitForEvent('download'), byId(page, ids.EXPORT_START).click()]);
      const [header, ...rows] = parseCsv(fs.readFileSync(await download.path(), 'utf8').slice(1), ';');
      const currency = lang === 'fi' ? 'EUR' : 'NOK';
      expect(header.filter((h) => h.endsWith(`(${currency})`)).length).toBe(3);
      expect(header.join(';')).not.toMatch(/SEK/);
      const plateCol = header.indexOf(lang === 'fi' ? 'Rekisterinumero' : 'Registreringsnummer');
      expect(plateCol).toBeGreaterThanOrEqual(0);
      expect(rows.map((r) => r[plateCol])).toContain(plate.trim());

      // Switched to English, and remembered on the next page and visit.
      await byId(page, ids.LANG_SWITCH).locator('a[hreflang="en"]').click();
      await expect(page.locator('html')).toHaveAttribute('lang', 'en');
      await expect(page).toHaveURL(/\/history/);
      await page.goto('/costs');
      await expect(page.locator('html')).toHaveAttribute('lang', 'en');
      await expect(page.locator('.totals').first()).toContainText(lang === 'fi' ? /EUR\u00a0\d/ : /NOK\u00a0\d/);
    });
  });
}
