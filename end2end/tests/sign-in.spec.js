// Sign-in with a code read from a real mail server, the company switch and sign-out.
const { test, expect } = require('../test');
const ids = require('../ids');
const mail = require('../mail');

const byId = (page, id) => page.locator(`#${id}`);
const isJs = () => test.info().project.name === 'js';

/** With JavaScript, wait for hydration, so the test drives the hydrated forms. */
async function hydratedIfJs(page) {
  if (isJs()) await expect(page.locator(`html[${ids.HYDRATED_ATTR}="true"]`)).toHaveCount(1);
}

/** Asks for a code on the sign-in page and reads it from the mail; returns it. */
async function askForCode(page, email) {
  await page.goto('/sign-in');
  await hydratedIfJs(page);
  await byId(page, ids.SIGN_IN_EMAIL).fill(email);
  const since = Date.now();
  await byId(page, ids.SIGN_IN_SEND).click();
  await expect(byId(page, ids.SIGN_IN_SENT)).toContainText(email);
  return mail.codeFor(email, since);
}

async function signIn(page, email) {
  const code = await askForCode(page, email);
  await hydratedIfJs(page);
  await byId(page, ids.SIGN_IN_CODE).fill(code);
  await byId(page, ids.SIGN_IN_VERIFY).click();
}

test('a person signs in with the mailed code, sees company and role, and signs out @both', async ({ page }) => {
  // Each project signs in as someone else: one address may ask for a code once a minute.
  const [email, role] = isJs()
    ? ['erik.holm@nordstrombygg.example', 'Administratör']
    : ['fatima.ekonomi@nordstrombygg.example', 'Ekonomi (läsbehörighet)'];
  await signIn(page, email);
  await expect(page).toHaveURL(/\/$/);
  await expect(byId(page, ids.HOME_COMPANY)).toHaveText('Nordström Bygg AB');
  await expect(byId(page, ids.HOME_ROLE)).toHaveText(role);
  await expect(byId(page, ids.HEADER_USER)).toHaveText(email);

  // The member list: both read it; the admin may invite, the finance viewer may not.
  await byId(page, ids.HOME_MEMBERS_LINK).click();
  await expect(byId(page, ids.MEMBER_LIST).locator('li').first()).toBeVisible();
  await expect(byId(page, ids.INVITE_FORM)).toHaveCount(isJs() ? 1 : 0);

  await hydratedIfJs(page);
  await byId(page, ids.SIGN_OUT).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  await page.goto('/');
  await expect(page).toHaveURL(/\/sign-in$/);
});

test('an unknown address gets the same answer and no mail @both', async ({ page }) => {
  const email = `nobody-${test.info().project.name}@nordstrombygg.example`;
  await page.goto('/sign-in');
  await byId(page, ids.SIGN_IN_EMAIL).fill(email);
  await byId(page, ids.SIGN_IN_SEND).click();
  await expect(byId(page, ids.SIGN_IN_SENT)).toContainText(email);
  await page.waitForTimeout(1500);
  expect(await mail.messagesTo(email)).toEqual([]);
});

test('a wrong code gets one message, then the right code signs in @js', async ({ page }) => {
  const email = 'maja.svensson@nordstrombygg.example';
  const code = await askForCode(page, email);
  await byId(page, ids.SIGN_IN_CODE).fill(code === '000 000' ? '111 111' : '000 000');
  await byId(page, ids.SIGN_IN_VERIFY).click();
  await expect(byId(page, ids.FORM_ERROR)).toHaveText('Ogiltig eller utgången kod.');
  // The resend button counts down after a code was sent.
  await expect(byId(page, ids.SIGN_IN_RESEND)).toBeDisabled();
  await byId(page, ids.SIGN_IN_CODE).fill(code.replace(' ', ''));
  await byId(page, ids.SIGN_IN_VERIFY).click();
  await expect(byId(page, ids.HOME_ROLE)).toHaveText('Medlem');
});

test('a person in two companies picks one, then switches from the header @js', async ({ page }) => {
  await signIn(page, 'samir.karlsson@nordstrombygg.example');
  await expect(page).toHaveURL(/\/companies$/);
  const choices = byId(page, ids.COMPANY_CHOICES).locator('button');
  await expect(choices).toHaveCount(2);
  await choices.filter({ hasText: 'Lindqvist Konsult AB' }).click();
  await expect(byId(page, ids.HOME_COMPANY)).toHaveText('Lindqvist Konsult AB');

  await hydratedIfJs(page);
  await byId(page, ids.COMPANY_SELECT).selectOption({ label: 'Nordström Bygg AB' });
  await byId(page, ids.COMPANY_SWITCH).locator('button').click();
  await expect(byId(page, ids.HOME_COMPANY)).toHaveText('Nordström Bygg AB');
  await expect(byId(page, ids.COMPANY_SELECT)).toHaveValue(/.+/);
});
