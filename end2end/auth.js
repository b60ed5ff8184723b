// Signs in through the real page: email → code read from the mail catcher → verify.
// `scope` is a page or a frame locator (the embedded tests sign in inside the iframe).
const { expect } = require('@playwright/test');
const ids = require('./ids');
const mail = require('./mail');

// Each sign-in poses as a client of its own behind a proxy (end2end/serve.sh trusts
// 127.0.0.1): the suite signs in more often than one address may ask for codes in an hour.
let client = 0;
const clientBase = Math.floor(Math.random() * 200);

async function signIn(page, email, { hydrated = true, scope = page } = {}) {
  client += 1;
  await page.setExtraHTTPHeaders({
    'x-forwarded-for': `10.${clientBase}.${Math.floor(client / 250)}.${(client % 250) + 1}`,
  });
  if (scope === page) await page.goto('/sign-in');
  if (hydrated) await expect(scope.locator(`html[${ids.HYDRATED_ATTR}="true"]`)).toHaveCount(1);
  await scope.locator(`#${ids.SIGN_IN_EMAIL}`).fill(email);
  const since = Date.now();
  await scope.locator(`#${ids.SIGN_IN_SEND}`).click();
  await expect(scope.locator(`#${ids.SIGN_IN_SENT}`)).toContainText(email);
  await scope.locator(`#${ids.SIGN_IN_CODE}`).fill(await mail.codeFor(email, since));
  await scope.locator(`#${ids.SIGN_IN_VERIFY}`).click();
}

module.exports = { signIn };
