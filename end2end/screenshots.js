// Screenshots of a page at phone, tablet and desktop widths, for looking at before calling a
// page done. Usage: node end2end/screenshots.js [base-url] [path] [out-dir]
// Signed-in pages: PORTAL_EMAIL=<a demo account> (the server must use the dev mailer, which
// `make run` does); the code is read from /dev/mailbox. FULL_PAGE=1 for whole pages.
const { chromium } = require('@playwright/test');
const config = require('./playwright.config.js');
const { devSignIn } = require('./dev-sign-in');

(async () => {
  const base = process.argv[2] || 'http://127.0.0.1:3000';
  const path = process.argv[3] || '/facilities';
  const out = process.argv[4] || 'target/screenshots';
  const browser = await chromium.launch(config.use.launchOptions);
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  if (process.env.PORTAL_EMAIL) await devSignIn(page, base, process.env.PORTAL_EMAIL);
  for (const [name, width, height] of [['phone', 375, 812], ['tablet', 768, 1024], ['desktop', 1280, 900]]) {
    await page.setViewportSize({ width, height });
    await page.goto(base + path);
    await page.waitForSelector('html[data-hydrated="true"]', { timeout: 15000 }).catch(() => {});
    const file = `${out}/${path.replace(/[^a-z0-9]+/gi, '_')}-${name}.png`;
    await page.screenshot({ path: file, fullPage: process.env.FULL_PAGE === '1' });
    console.log(file);
  }
  await browser.close();
})();
