// Accessibility sweep (issue 16): axe-core's WCAG 2.0/2.1 A and AA rules find nothing on any
// page, for every role, with the app's JavaScript on (hydrated) and off (the server's HTML
// alone), at a phone's and a desktop's width. Each role signs in once (an address may ask for
// a code once a minute); its session cookie then opens every page in four fresh contexts.
const { test, expect } = require('../test');
const AxeBuilder = require('@axe-core/playwright').default;
const ids = require('../ids');
const { signIn } = require('../auth');

const { fixtures } = require('../fixtures');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const LAYOUTS = [
  ['phone', { width: 375, height: 812 }],
  ['desktop', { width: 1280, height: 900 }],
];

/** Every page of `paths` in the four layouts × modes; returns the violations found, as
 * "path [layout, js|no-js] rule: selector" lines (empty when there are none). */
async function sweep(browser, storageState, paths) {
  const found = [];
  for (const js of [true, false]) {
    for (const [layout, viewport] of LAYOUTS) {
      // Without the app's JavaScript: the server's HTML as it arrives, never hydrated (the
      // bundle is refused). axe itself needs script, so the page's JavaScript stays on.
      const context = await browser.newContext({ storageState, viewport, locale: 'sv-SE' });
      if (!js) await context.route(/\/pkg\/.*\.(js|wasm)$/, (route) => route.abort());
      const page = await context.newPage();
      for (const p of paths) {
        const res = await page.goto(p);
        expect(res.status(), `${p} answers`).toBe(p.startsWith('/invite/') ? 404 : 200);
        if (js) await expect(page.locator(`html[${ids.HYDRATED_ATTR}="true"]`)).toHaveCount(1);
        const results = await new AxeBuilder({ page }).withTags(TAGS).analyze();
        for (const v of results.violations) {
          for (const n of v.nodes) {
            found.push(`${p} [${layout}, ${js ? 'js' : 'no-js'}] ${v.id}: ${n.target.join(' ')} — ${n.failureSummary.split('\n').slice(1, 2).join('')}`);
          }
        }
      }
      await context.close();
    }
  }
  return found;
}

/** Signs `email` in and returns the session for new contexts, plus a page signed in. */
async function session(page, email) {
  await signIn(page, email);
  await expect(page).not.toHaveURL(/\/sign-in/);
  return page.context().storageState();
}

test('signed out: sign-in, facilities, an invitation link @js', async ({ browser }) => {
  // Three pages at up to ~11 s each on a busy machine (hydration and axe): past the default
  // 30 s when it is the first test of a run and the server is still cold (seen here).
  test.setTimeout(90_000);
  const found = await sweep(browser, undefined, ['/sign-in', '/facilities', '/invite/not-a-real-token']);
  expect(found).toEqual([]);
});

for (const [role, key, pages] of [
  // DATA: the month the fixed demo data lives in (the defaults show this month, which is empty
  // once the calendar has passed the data; both are swept).
  // Every page of the company's records is swept by one of the owner, the admin and the
  // finance viewer (a page a role shares is swept once, where it looks the same; the owner
  // keeps the pages that show them more): one test of all of the owner's pages ran out of its
  // 3 minutes in CI (about 11 s a page there), so they share them, 8 or fewer each.
  ['owner', 'a11yOwner', ['/', '/frontdesk', '/history?DATA&kind=charging&size=25', '/costs?DATA', '/costs/report', '/members']],
  ['admin', 'a11yAdmin', ['/', '/members', '/cost-centers', '/frontdesk', '/facilities', '/policies', '/history?DATA&policy=outside']],
  ['finance viewer', 'a11yFinance', ['/', '/history', '/costs', '/invoices', '/members', '/audit', '/notices']],
  ['member', 'a11yMember', ['/', '/history', '/costs', '/facilities', '/policies']],
  ['front desk', 'a11yDesk', ['/frontdesk']],
  ['member of two companies', 'a11yTwo', ['/companies']],
]) {
  test(`signed in as ${role}: every page of the role @js`, async ({ page, browser }) => {
    test.setTimeout(180_000);
    const state = await session(page, fixtures()[key]);
    const extra = [];
    if (key === 'a11yOwner') {
      // An invoice page (not the first of the list), and the members page's confirm step of
      // the third person on it.
      await page.goto('/invoices');
      extra.push(await page.locator('a[href^="/invoices/"]').nth(2).getAttribute('href'));
      await page.goto('/members');
      extra.push(await page.locator(`#${ids.MEMBER_LIST} > li`).nth(2).locator('a[href*="remove="]').getAttribute('href'));
    }
    const f = fixtures();
    const data = `year=${f.dataYear}&month=${f.dataMonth}`;
    const found = await sweep(browser, state, [...pages.map((p) => p.replace('DATA', data)), ...extra]);
    expect(found).toEqual([]);
  });
}
