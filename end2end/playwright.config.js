// Browser tests: Playwright driving Debian's Chromium (never a downloaded browser).
// Every test tagged @both runs twice, with JavaScript on and off, which proves the
// server-rendered pages and plain form submissions work before (and without) hydration.
// @js runs with JavaScript only, @nojs without only (for accounts that may sign in once a minute).
const { defineConfig } = require('@playwright/test');

const PORT = 3100;

// Under scripts/test-calendar.sh this process runs with libfaketime preloaded; Chromium must
// not inherit it (it breaks under it) and gets Playwright's clock emulation instead (test.js).
const browserEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => k !== 'LD_PRELOAD' && !k.startsWith('FAKETIME')),
);

module.exports = defineConfig({
  testDir: './tests',
  outputDir: '../target/e2e/test-results',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    browserName: 'chromium',
    // The portal follows the browser's language (Accept-Language); the tests read Swedish,
    // the default, unless a test asks for another locale (i18n.spec.js).
    locale: 'sv-SE',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      env: browserEnv,
      args: [
        '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE 127.0.0.2, EXCLUDE localhost',
        // The embedding test's host page (127.0.0.2, served by page.route) would otherwise
        // count as a public site framing a loopback one; in production both are public.
        '--disable-features=LocalNetworkAccessChecks',
      ],
    },
    trace: 'retain-on-failure',
  },
  projects: [
    { name: 'js', grep: /@both|@js/ },
    { name: 'no-js', grep: /@both|@nojs/, use: { javaScriptEnabled: false } },
  ],
  webServer: [
    {
      // A real SMTP server that keeps the mail for the tests to read (end2end/mail.js). It
      // loads what its directory holds at start: emptied first, so no mail of an earlier run
      // (one at another moment: scripts/test-calendar.sh) can pass for a new one.
      command: 'rm -rf target/e2e/mail && exec npx maildev --ip 127.0.0.1 --web-ip 127.0.0.1 -s 1025 -w 1080 --mail-directory target/e2e/mail',
      cwd: '..',
      url: 'http://127.0.0.1:1080/api/email',
      timeout: 30_000,
      reuseExistingServer: false,
    },
    {
      command: 'bash end2end/serve.sh',
      cwd: '..',
      url: `http://127.0.0.1:${PORT}/readyz`,
      timeout: 120_000,
      reuseExistingServer: false,
      env: { E2E_PORT: String(PORT), SMTP_URL: 'smtp://127.0.0.1:1025' },
    },
  ],
});
