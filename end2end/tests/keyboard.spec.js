// Keyboard only (issue 16): each main flow done with Tab, Enter, arrows and typing — no
// clicks, no fills. Every stop shows a visible focus, and after each step the focus is
// where the person goes on from (the code field, the confirm step, the next guest).
const { test, expect } = require('../test');
const ids = require('../ids');
const mail = require('../mail');

const { fixtures, dataMonthPath } = require('../fixtures');
const hydrated = (page) => expect(page.locator(`html[${ids.HYDRATED_ATTR}="true"]`)).toHaveCount(1);

/** The focused element matches `selector` and its focus can be seen (an outline or a ring).
 * Polled: the page moves the focus a tick after the step's content appears. */
async function expectFocus(page, selector) {
  await expect.poll(() => focusSeen(page, selector), { timeout: 3000 }).toBe('ok');
}

async function focusSeen(page, selector) {
  return page.evaluate((sel) => {
    const a = document.activeElement;
    if (!a || !a.matches(sel)) return `focus is on ${a ? a.outerHTML.slice(0, 80) : 'nothing'}`;
    const s = getComputedStyle(a);
    const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
    return outline || s.boxShadow !== 'none' ? 'ok' : `no visible focus on ${sel}`;
  }, selector);
}

/** Presses Tab until `selector` has the focus (at most `max` times), and checks it shows. */
async function tabTo(page, selector, max = 120) {
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((sel) => !!document.activeElement && document.activeElement.matches(sel), selector)) {
      await expectFocus(page, selector);
      return;
    }
  }
  throw new Error(`Tab never reached ${selector}`);
}

let client = 0;
/** Signs in with the keyboard alone; the code field takes the focus once the code is sent. */
async function signInByKeyboard(page, email) {
  client += 1;
  await page.setExtraHTTPHeaders({ 'x-forwarded-for': `10.250.${Math.floor(Math.random() * 250)}.${client}` });
  await page.goto('/sign-in');
  await hydrated(page);
  await tabTo(page, `#${ids.SIGN_IN_EMAIL}`);
  await page.keyboard.type(email);
  const since = Date.now();
  await page.keyboard.press('Enter');
  await expect(page.locator(`#${ids.SIGN_IN_SENT}`)).toContainText(email);
  await expectFocus(page, `#${ids.SIGN_IN_CODE}`);
  await page.keyboard.type(await mail.codeFor(email, since));
  await page.keyboard.press('Enter');
  await expect(page).not.toHaveURL(/\/sign-in/);
}

test('an owner invites and removes the third person of the list with the keyboard @js', async ({ page }) => {
  await signInByKeyboard(page, fixtures().kbOwner);
  // The one navigation reaches the members.
  await tabTo(page, '.main-nav a[href="/members"]');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/members/);
  await hydrated(page);

  const invited = `tangent.ny.${Date.now()}@andrabolaget.example`;
  await tabTo(page, `#${ids.INVITE_EMAIL}`);
  await page.keyboard.type(invited);
  await page.keyboard.press('Enter');
  await expect(page.locator(`#${ids.INVITATION_LIST} li[data-email="${invited}"]`)).toBeVisible();

  const third = page.locator(`#${ids.MEMBER_LIST} > li`).nth(2);
  const email = await third.getAttribute('data-email');
  await tabTo(page, `#${ids.MEMBER_LIST} > li:nth-child(3) a[href*="remove="]`);
  await page.keyboard.press('Enter');
  await expect(page.locator(`#${ids.CONFIRM_REMOVE}`)).toContainText('?');
  await expectFocus(page, `#${ids.CONFIRM_REMOVE}`);
  await page.keyboard.press('Tab');
  await expectFocus(page, `#${ids.CONFIRM_REMOVE_YES}`);
  await page.keyboard.press('Enter');
  await expect(page.locator(`#${ids.MEMBER_LIST} li[data-email="${email}"]`)).toHaveCount(0);
});

test('an admin filters the history and exports it with the keyboard @js', async ({ page }) => {
  await signInByKeyboard(page, fixtures().kbAdmin);
  await tabTo(page, '.main-nav a[href="/history"]');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/history/);
  // It opens on this month; the demo data lives in an earlier one, opened from a bookmark.
  await page.goto(dataMonthPath());
  await hydrated(page);
  // The kind filter: an arrow key picks charging, and the list follows.
  await tabTo(page, `#${ids.HISTORY_KIND}`);
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await expect(page).toHaveURL(/kind=charging/);
  // The export opens like a button and runs from the keyboard.
  await tabTo(page, `#${ids.EXPORT_PANEL} > summary`);
  await page.keyboard.press('Enter');
  await tabTo(page, `#${ids.EXPORT_START}`);
  const download = page.waitForEvent('download');
  await page.keyboard.press('Enter');
  expect((await download).suggestedFilename()).toMatch(/\.csv$/);
  await expect(page.locator(`#${ids.EXPORT_DONE}`)).toBeVisible();
});

test('the front desk registers a guest with the keyboard and goes on to the next @js', async ({ page }) => {
  await signInByKeyboard(page, fixtures().kbDesk);
  await expect(page).toHaveURL(/\/frontdesk/);
  await hydrated(page);
  await tabTo(page, `#${ids.FD_PLATE}`);
  await page.keyboard.type('kbd 123');
  await tabTo(page, `#${ids.FD_REGISTER}`);
  await page.keyboard.press('Enter');
  await expect(page.locator(`#${ids.FD_REGISTERED}`)).toContainText('KBD 123');
  await expectFocus(page, `#${ids.FD_NEXT}`);
  await page.keyboard.press('Enter');
  await expect(page.locator(`#${ids.FD_PLATE}`)).toHaveValue('');
});
