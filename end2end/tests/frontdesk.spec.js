// The front desk (issue 15) on a tablet, in portrait (768×1024, an iPad) and landscape
// (1366×1024, an iPad Pro), with JavaScript on and off: a receptionist registers a visitor,
// gets one big way back to an empty form, sees the guest in today's list, and — once the
// guest's session arrives through the signed ingestion API — sees them parked now (with
// JavaScript the list updates by itself). Extend and cancel a guest who is not the first in
// the list; a bad plate is refused by field and registers nothing; the desk sees nothing else.
const { test, expect } = require('../test');
const ids = require('../ids');
const { signIn } = require('../auth');
const { postSessions } = require('../ingest');

const byId = (page, id) => page.locator(`#${id}`);
const { fixtures } = require('../fixtures');

/** A plate no other test uses: three letters from the mode and layout, digits from the clock. */
function plate(prefix) {
  return `${prefix} ${String(Date.now()).slice(-3)}`;
}

/** Posts a guest's ongoing parking session as the operator's back office does. */
async function guestArrives(baseURL, f, plateText, facilityId) {
  await postSessions(baseURL, [{
    id: `E2E-${plateText}-${Date.now()}`, version: 1, company: f.orgNumber, app_user: null,
    plate: plateText, facility: f.facilityCodes[facilityId], kind: 'parking',
    started_at: new Date(Date.now() - 60_000).toISOString(), ended_at: null, energy_wh: null,
    amount_incl_vat: 0, vat: 0, cost_center: null,
  }]);
}

async function register(page, { plateText, name = '', choice = null }) {
  await byId(page, ids.FD_PLATE).fill(plateText);
  if (name) await byId(page, ids.FD_NAME).fill(name);
  if (choice) await page.locator(`input[name="until"][value="${choice}"]`).check();
  const facility = await byId(page, ids.FD_FACILITY).inputValue();
  await byId(page, ids.FD_REGISTER).click();
  return facility;
}

const guest = (page, plateText) => byId(page, ids.FD_GUESTS).locator(`li[data-plate="${plateText}"]`);

for (const [layout, viewport, desk] of [
  ['portrait', { width: 768, height: 1024 }, 0],
  ['landscape', { width: 1366, height: 1024 }, 4],
]) {
  test.describe(`on a tablet in ${layout}`, () => {
    test.use({ viewport, hasTouch: true });

    test(`a visitor is registered, sent back to the start, and shows parked once their session arrives (${layout}) @both`, async ({ page, baseURL }, info) => {
      test.setTimeout(75_000);
      const js = info.project.name === 'js';
      const f = fixtures();
      await signIn(page, f.desks[desk + (js ? 0 : 1)], { hydrated: js });
      // The desk starts on its page.
      await expect(page).toHaveURL(/\/frontdesk$/);
      if (js) await expect(page.locator(`html[${ids.HYDRATED_ATTR}="true"]`)).toHaveCount(1);

      // The controls are big enough to tap.
      for (const id of [ids.FD_PLATE, ids.FD_FACILITY, ids.FD_REGISTER]) {
        const box = await byId(page, id).boundingBox();
        expect(box.height, id).toBeGreaterThanOrEqual(48);
      }
      // The plate's hint follows the chosen facility's country (issue 33): a garage in Oslo
      // takes AB 12345 (with JavaScript it changes with the choice).
      const hint = page.locator('#fd-plate-hint');
      await expect(hint).toContainText('ABC 123');
      if (js) {
        const chosen = await byId(page, ids.FD_FACILITY).inputValue();
        const labels = await byId(page, ids.FD_FACILITY).locator('option').allTextContents();
        await byId(page, ids.FD_FACILITY).selectOption({ label: labels.find((l) => l.includes('Oslo')) });
        await expect(hint).toContainText('AB 12345');
        await expect(byId(page, ids.FD_PLATE)).toHaveAttribute('placeholder', 'AB 12345');
        await byId(page, ids.FD_FACILITY).selectOption(chosen);
        await expect(hint).toContainText('ABC 123');
      }
      const p = plate(`${js ? 'J' : 'N'}${layout[0].toUpperCase()}A`);
      // Typed as people do: lower case, no space.
      const facility = await register(page, { plateText: p.replace(' ', '').toLowerCase(), name: 'Lena Besökare' });
      const done = byId(page, ids.FD_REGISTERED);
      await expect(done).toContainText(p);
      await expect(done).toContainText('Inte skickad till Aimo Park än');
      // The name never travels in the URL.
      expect(page.url()).not.toContain('Lena');
      await byId(page, ids.FD_NEXT).click();
      await expect(byId(page, ids.FD_PLATE)).toHaveValue('');
      await expect(guest(page, p)).toHaveAttribute('data-status', 'expected');
      await expect(guest(page, p)).toContainText('Lena Besökare');

      // The next visitor's plate half typed while the list refreshes.
      await byId(page, ids.FD_PLATE).fill('NEXT');
      await guestArrives(baseURL, f, p, facility);
      if (js) {
        // No reload: the list polls every 20 seconds, and the typing survives it.
        await expect(guest(page, p)).toHaveAttribute('data-status', 'parked', { timeout: 30_000 });
        await expect(byId(page, ids.FD_PLATE)).toHaveValue('NEXT');
      } else {
        await page.getByRole('link', { name: 'Uppdatera' }).click();
        await expect(guest(page, p)).toHaveAttribute('data-status', 'parked');
      }
      await expect(guest(page, p)).toContainText('Parkerad nu');
    });

    test(`extend and cancel the guest who is not first in the list (${layout}) @both`, async ({ page }, info) => {
      const js = info.project.name === 'js';
      const f = fixtures();
      await signIn(page, f.desks[desk + 2 + (js ? 0 : 1)], { hydrated: js });
      await expect(page).toHaveURL(/\/frontdesk$/);
      if (js) await expect(page.locator(`html[${ids.HYDRATED_ATTR}="true"]`)).toHaveCount(1);
      const tag = `${js ? 'J' : 'N'}${layout[0].toUpperCase()}`;
      const first = plate(`${tag}B`);
      const second = plate(`${tag}C`);
      await register(page, { plateText: first, choice: '2h' });
      await byId(page, ids.FD_NEXT).click();
      await register(page, { plateText: second });
      await byId(page, ids.FD_NEXT).click();
      // The newest is on top; the two-hour one is further down.
      const card = guest(page, first);
      await expect(card).toBeVisible();
      // "Gäller 21:14–23:14", or with the day when the permit ends after midnight
      // ("Gäller 21:14–2026-11-27 00:14"): the end's clock time.
      const until = async () => (await card.locator('.hint').first().textContent()).match(/–(?:\S+ )?(\d{1,2}:\d{2})/)[1];
      const before = await until();
      await card.getByRole('link', { name: 'Förläng' }).click();
      await expect(byId(page, ids.FD_EXTEND_PANEL)).toContainText(first);
      await byId(page, ids.FD_EXTEND_PANEL).locator('button[data-by="1h"]').click();
      await expect(byId(page, ids.FD_EXTEND_PANEL)).toHaveCount(0);
      await expect.poll(until).not.toBe(before);
      const [h1, m1] = before.split(':').map(Number);
      const [h2, m2] = (await until()).split(':').map(Number);
      expect(((h2 * 60 + m2) - (h1 * 60 + m1) + 1440) % 1440).toBe(60);

      await card.getByRole('link', { name: 'Avbryt tillståndet' }).click();
      await byId(page, ids.FD_CANCEL_YES).click();
      await expect(card).toHaveAttribute('data-status', 'cancelled');
      await expect(card.getByRole('link', { name: 'Förläng' })).toHaveCount(0);
      // The other guest is untouched.
      await expect(guest(page, second)).toHaveAttribute('data-status', 'expected');
      // Back to the list with the browser's Back: the cancelled permit offers no step.
      await page.goBack();
      await expect(byId(page, ids.FD_CANCEL_YES)).toHaveCount(0);
    });
  });
}

test('a bad plate is refused by field and registers nothing; the desk sees nothing else @both', async ({ page }, info) => {
  const js = info.project.name === 'js';
  const f = fixtures();
  // From a bookmark, signed out: the sign-in page, and back to the desk after it.
  await page.goto('/frontdesk');
  await expect(page).toHaveURL(/\/sign-in\?next=%2Ffrontdesk|\/sign-in\?next=\/frontdesk/);
  // Signed in right there (not from a fresh /sign-in).
  await signIn(page, f.desks[8 + (js ? 0 : 1)], { hydrated: js, scope: page.mainFrame() });
  await expect(page).toHaveURL(/\/frontdesk$/);
  if (js) await expect(page.locator(`html[${ids.HYDRATED_ATTR}="true"]`)).toHaveCount(1);
  // Today's list has arrived (after a client-side sign-in it loads after the page): only then
  // is its length the one to compare with.
  await expect(byId(page, ids.FD_UPDATED)).toBeVisible();
  const count = await byId(page, ids.FD_GUESTS).locator('li').count();
  await register(page, { plateText: 'ABC;123', name: 'Ingen' });
  await expect(byId(page, ids.FORM_ERROR)).toContainText('Registreringsnumret');
  await expect(byId(page, ids.FD_GUESTS).locator('li')).toHaveCount(count);
  await page.goto('/history');
  await expect(page.locator('main')).not.toContainText('Kostnad inkl. moms');
  await expect(page.locator('.main-nav')).not.toContainText('Historik');
});
