// Signs in through the real page: email → code read from the mail catcher → verify.
// `scope` is a page or a frame locator (the embedded tests sign in inside the iframe).
const { expect } = require('@playwright/test');
const ids = require('./ids');
const mail = require('./mail');

async function signIn(page, email, { hydrated = true, scope = page } = {}) {
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
