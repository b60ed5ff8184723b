// Viewport-sized screenshots of a page scrolled down screen by screen, for looking at a long
// page in pieces (screenshots.js takes one image per width). Usage:
// PORTAL_EMAIL=… node end2end/look.js BASE PATH WIDTH [SCREENS] [OUT-PREFIX]
const { chromium } = require('@playwright/test');
const config = require('./playwright.config.js');
const { devSignIn } = require('./dev-sign-in');

(async () => {
  const [base, path, width, screens = '3', out = 'target/screenshots/look'] = process.argv.slice(2);
  const browser = await chromium.launch(config.use.launchOptions);
  const height = Number(process.env.LOOK_HEIGHT || (Number(width) < 700 ? 812 : 900));
  // The portal follows the browser's language: Swedish unless LOOK_LOCALE says (fi-FI, nb-NO).
  const page = await browser.newPage({ viewport: { width: Number(width), height }, deviceScaleFactor: 1, locale: process.env.LOOK_LOCALE || 'sv-SE' });
  if (process.env.PORTAL_EMAIL) await devSignIn(page, base, process.env.PORTAL_EMAIL);
  await page.goto(base + path);
  await page.waitForSelector('html[data-hydrated="true"]', { timeout: 15000 }).catch(() => {});
  for (let i = 0; i < Number(screens); i++) {
    await page.evaluate((y) => window.scrollTo(0, y), i * (height - 100));
    const file = `${out}-${width}-${i}.png`;
    await page.screenshot({ path: file });
    console.log(file);
  }
  await browser.close();
})();
