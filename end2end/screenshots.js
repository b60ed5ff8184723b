// Screenshots of a page at phone, tablet and desktop widths, for looking at before calling a
// page done. Usage: node end2end/screenshots.js [base-url] [path] [out-dir]
// Signed-in pages: PORTAL_SESSION=<the __Host-portal_session cookie's value> node end2end/screenshots.js …
const { chromium } = require('@playwright/test');
const config = require('./playwright.config.js');

(async () => {
  const base = process.argv[2] || 'http://127.0.0.1:3000';
  const path = process.argv[3] || '/facilities';
  const out = process.argv[4] || 'target/screenshots';
  const browser = await chromium.launch(config.use.launchOptions);
  for (const [name, width, height] of [['phone', 375, 812], ['tablet', 768, 1024], ['desktop', 1280, 900]]) {
    const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1 });
    if (process.env.PORTAL_SESSION) {
      await context.addCookies([{ name: '__Host-portal_session', value: process.env.PORTAL_SESSION, url: base, secure: true, httpOnly: true, sameSite: 'None' }]);
    }
    const page = await context.newPage();
    await page.goto(base + path);
    await page.waitForSelector('html[data-hydrated="true"]', { timeout: 15000 }).catch(() => {});
    const file = `${out}/${path.replace(/[^a-z0-9]+/gi, '_')}-${name}.png`;
    await page.screenshot({ path: file, fullPage: process.env.FULL_PAGE === '1' });
    console.log(file);
    await context.close();
  }
  await browser.close();
})();
