// Signs a page in through the dev mailer (`/dev/mailbox`, a local run's): for the screenshot
// and benchmark scripts, which run against `make run`-like servers, not the test servers.
//   node end2end/dev-sign-in.js BASE EMAIL    prints the session cookie ("name=value")
async function devSignIn(page, base, email) {
  await page.goto(`${base}/sign-in`);
  await page.waitForSelector('html[data-hydrated="true"]');
  await page.fill('#sign-in-email', email);
  await page.click('#sign-in-send');
  let code = null;
  for (let i = 0; i < 50 && !code; i++) {
    await page.waitForTimeout(200);
    // The mailbox lists the oldest first: the code just asked for is the last.
    const box = await (await fetch(`${base}/dev/mailbox`)).text();
    code = [...box.matchAll(/(\d{3} \d{3})/g)].map((m) => m[1]).pop() || null;
  }
  await page.fill('#sign-in-code', code);
  await page.click('#sign-in-verify');
  await page.waitForURL((url) => !url.pathname.startsWith('/sign-in'));
}

/// Signs EMAIL in with Debian's Chromium and gives the session cookie as a `Cookie` header value.
async function sessionCookie(base, email) {
  const { chromium } = require('@playwright/test');
  const config = require('./playwright.config.js');
  const browser = await chromium.launch(config.use.launchOptions);
  try {
    const page = await browser.newPage({ locale: 'sv-SE' });
    await devSignIn(page, base, email);
    const session = (await page.context().cookies()).find((c) => c.name === '__Host-portal_session');
    if (!session) throw new Error('signed in, but no session cookie');
    return `${session.name}=${session.value}`;
  } finally {
    await browser.close();
  }
}

module.exports = { devSignIn, sessionCookie };

if (require.main === module) {
  const [base, email] = process.argv.slice(2);
  sessionCookie(base, email).then(
    (c) => console.log(c),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
