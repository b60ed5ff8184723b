// The `test` and `expect` every spec uses: Playwright's, plus the browser's clock when a run is
// at a chosen moment (scripts/test-calendar.sh). There, this process, the portal and the mail
// catcher run under libfaketime, already at the moment; Chromium does not run under it (it
// breaks with a preloaded libfaketime), so each browser context gets Playwright's clock
// emulation set to this process's (faked) now, and time flows on from there. At the real date
// this is Playwright's `test` unchanged.
const base = require('@playwright/test');

const faked = Number(process.env.E2E_FAKED_AT || 0) > 0;

const test = faked
  ? base.test.extend({
      // Every context, the fixtures' and those a test opens itself (browser.newContext).
      browser: [async ({ browser }, use) => {
        const newContext = browser.newContext.bind(browser);
        browser.newContext = async (options) => {
          const context = await newContext(options);
          await context.clock.install({ time: Date.now() });
          return context;
        };
        await use(browser);
      }, { scope: 'worker' }],
    })
  : base.test;

module.exports = { test, expect: base.expect };
