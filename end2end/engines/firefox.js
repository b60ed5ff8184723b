// Firefox: Debian's firefox-esr driven by puppeteer-core over WebDriver BiDi (Playwright
// only drives its own patched Firefox, which we never download). Headless: no display needed.
const fs = require('fs');
const path = require('path');
const puppeteer = require('puppeteer-core');
const { Page, retrying } = require('./page');

const EXECUTABLE = process.env.FIREFOX_BIN || '/usr/bin/firefox-esr';

class FirefoxPage extends Page {
  constructor(baseURL, context, page, log) {
    super(baseURL);
    this.context = context;
    this.page = page;
    this.log = log;
  }

  async goto(p) {
    await this.page.goto(new URL(p, this.baseURL).href, { waitUntil: 'load', timeout: 30_000 });
  }

  async fill(selector, text) {
    await retrying(async () => {
      const el = await this.page.waitForSelector(selector, { timeout: 5_000 });
      await el.evaluate((e) => { e.value = ''; });
      await el.type(text);
      const now = await el.evaluate((e) => e.value);
      if (now !== text) throw new Error(`the field holds ${JSON.stringify(now)}`);
    }, `fill ${selector}`);
  }

  async rawClick(selector) {
    await retrying(async () => {
      const el = await this.page.waitForSelector(selector, { timeout: 5_000 });
      await el.click();
    }, `click ${selector}`);
  }

  async select(selector, value) {
    await retrying(async () => {
      const picked = await this.page.select(selector, value);
      if (!picked.includes(value)) throw new Error(`no option ${value}`);
    }, `select ${value} in ${selector}`);
  }

  async evaluate(fn, ...args) {
    return this.page.evaluate(fn, ...args);
  }

  async cookies() {
    const all = await this.context.cookies();
    return all.map((c) => ({ name: c.name, value: c.value, httpOnly: c.httpOnly }));
  }

  async screenshot(file) {
    await (this.top || this.page).screenshot({ path: file });
  }

  async enterFrame(selector) {
    const el = await this.page.waitForSelector(selector, { timeout: 15_000 });
    const frame = await el.contentFrame();
    if (!frame) throw new Error(`${selector} has no frame`);
    this.top = this.top || this.page;
    this.page = frame; // a puppeteer Frame: goto, evaluate, waitForSelector, select as a Page
  }

  async leaveFrame() {
    if (this.top) this.page = this.top;
    this.top = null;
  }

  async close() {
    await this.context.close().catch(() => {});
  }
}

/** Starts one Firefox for the whole run; each flow gets a fresh user context (no cookies). */
async function launch({ baseURL, downloadDir }) {
  fs.mkdirSync(downloadDir, { recursive: true });
  const browser = await puppeteer.launch({
    browser: 'firefox',
    protocol: 'webDriverBiDi',
    executablePath: EXECUTABLE,
    headless: true,
    defaultViewport: { width: 1280, height: 900 },
    timeout: 60_000,
    extraPrefsFirefox: {
      // A blob download (the history export) goes straight to a known folder, no dialog.
      'browser.download.folderList': 2,
      'browser.download.dir': path.resolve(downloadDir),
      'browser.download.useDownloadDir': true,
      'browser.download.always_ask_before_handling_new_types': false,
      'browser.helperApps.neverAsk.saveToDisk': 'text/csv',
      'browser.download.start_downloads_in_tmp_dir': false,
      'browser.download.panel.shown': true,
      // Firefox's own default, total cookie protection (third-party cookies kept, partitioned
      // per top-level site); puppeteer's profile turns it off (cookieBehavior0). The
      // `embedded` flow depends on it; first-party flows are unaffected.
      'network.cookie.cookieBehavior': 5,
      'browser.contentblocking.features.standard': '-tp,tpPrivate,cookieBehavior5,cookieBehaviorPBM5,-cryptoTP,-fp',
    },
  });
  const version = await browser.version();
  return {
    name: 'firefox',
    version,
    downloadDir,
    async newPage() {
      const context = await browser.createBrowserContext();
      const page = await context.newPage();
      const log = [];
      page.on('console', (m) => log.push(`console.${m.type()}: ${m.text()}`));
      page.on('pageerror', (e) => log.push(`pageerror: ${e.message || e}`));
      page.on('requestfailed', (r) => log.push(`requestfailed: ${r.url()} ${r.failure()?.errorText || ''}`));
      page.setDefaultTimeout(15_000);
      return new FirefoxPage(baseURL, context, page, log);
    },
    async close() {
      await browser.close().catch(() => {});
    },
  };
}

module.exports = { launch };
