// Signs a page in through the dev mailer (`/dev/mailbox`, a local run's): for the screenshot
// scripts, which run against `make run`, not against the test servers.
async function devSignIn(page, base, email) {
  await page.goto(`${base}/sign-in`);
  await page.waitForSelector('html[data-hydrated="true"]');
  await page.fill('#sign-in-email', email);
  await page.click('#sign-in-send');
  let code = null;
  for (let i = 0; i < 50 && !code; i++) {
    await page.waitForTimeout(200);
    code = (/(\d{3} \d{3})/.exec(await (await fetch(`${base}/dev/mailbox`)).text()) || [])[1];
  }
  await page.fill('#sign-in-code', code);
  await page.click('#sign-in-verify');
  await page.waitForURL((url) => !url.pathname.startsWith('/sign-in'));
}

module.exports = { devSignIn };
