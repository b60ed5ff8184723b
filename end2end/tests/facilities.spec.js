// The public facility list: server-rendered, hydrated, filterable by URL.
const { test, expect } = require('../test');
const AxeBuilder = require('@axe-core/playwright').default;
const ids = require('../ids');

const byId = (page, id) => page.locator(`#${id}`);
const cards = (page) => page.locator(`#${ids.FACILITY_LIST} > li`);

/** Fails the test on any console error or uncaught exception in the page. */
function watchConsole(page) {
  const errors = [];
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(msg.text()); });
  page.on('pageerror', (err) => errors.push(String(err)));
  return errors;
}

async function hydrated(page) {
  await expect(page.locator(`html[${ids.HYDRATED_ATTR}="true"]`)).toHaveCount(1);
}

test('the page is rendered on the server with every facility @both', async ({ request }) => {
  const res = await request.get('/facilities');
  expect(res.status()).toBe(200);
  const html = await res.text();
  expect(html).toContain(`id="${ids.FACILITY_LIST}"`);
  expect(html).toContain('P-hus Klara');
  expect(html).toContain('<html lang="sv"');
  expect(res.headers()['content-security-policy']).toContain("frame-ancestors 'self' http://127.0.0.2:3101");
  expect(res.headers()['x-frame-options']).toBeUndefined();
});

test('a plain form submission filters by search text and city @both', async ({ page }) => {
  await page.goto('/facilities');
  const all = await cards(page).count();
  expect(all).toBeGreaterThan(10);
  await byId(page, ids.FACILITY_SEARCH).fill('garage');
  await byId(page, ids.FACILITY_CITY).selectOption('Stockholm');
  await byId(page, ids.FACILITY_SUBMIT).click();
  await expect(page).toHaveURL(/q=garage/);
  await expect(page).toHaveURL(/city=Stockholm/);
  await expect(cards(page).first()).toBeVisible();
  const names = await cards(page).locator('h2').allTextContents();
  expect(names.length).toBeGreaterThan(0);
  expect(names.length).toBeLessThan(all);
  for (const addr of await cards(page).locator('.address').allTextContents()) {
    expect(addr).toContain('Stockholm');
  }
});

test('the filter in the URL survives a reload and selects its options @both', async ({ page }) => {
  await page.goto('/facilities?kind=barrier_garage&city=Malm%C3%B6');
  await expect(byId(page, ids.FACILITY_KIND)).toHaveValue('barrier_garage');
  await expect(byId(page, ids.FACILITY_CITY)).toHaveValue('Malmö');
  await expect(cards(page)).toHaveCount(1);
  await expect(cards(page).first()).toContainText('Garage Triangeln');
  await expect(cards(page).first()).toContainText('Fungerar inte');
});

test('an unknown kind in the URL gets a clear error naming the field @both', async ({ page }) => {
  await page.goto('/facilities?kind=helipad');
  await expect(page.getByRole('alert')).toContainText('Typ');
});

test('the WASM loads and hydrates without console errors @js', async ({ page }) => {
  const errors = watchConsole(page);
  const wasm = page.waitForResponse((r) => /\/pkg\/frontend-[0-9a-f]+_bg\.wasm$/.test(r.url()));
  const page_ = await page.goto('/facilities');
  const res = await wasm;
  expect(res.status()).toBe(200);
  // Named after its content, kept for a year, compressed once at build time.
  const headers = await res.allHeaders();
  expect(headers['cache-control']).toBe('public, max-age=31536000, immutable');
  expect(['br', 'gzip']).toContain(headers['content-encoding']);
  expect(headers['content-type']).toBe('application/wasm');
  // The page itself is asked for again each time.
  expect((await page_.allHeaders())['cache-control']).toMatch(/^no-(cache|store)$/);
  await hydrated(page);
  expect(errors).toEqual([]);
});

test('after hydration the list follows typing without a page load @js', async ({ page }) => {
  const errors = watchConsole(page);
  await page.goto('/facilities');
  await hydrated(page);
  await page.evaluate(() => { window.__sameDocument = true; });
  await byId(page, ids.FACILITY_SEARCH).pressSequentially('klara');
  await expect(cards(page)).toHaveCount(1);
  await expect(cards(page).first()).toContainText('P-hus Klara');
  await expect(page).toHaveURL(/q=klara/);
  expect(await page.evaluate(() => window.__sameDocument)).toBe(true);
  expect(errors).toEqual([]);
});

test('select changes filter at once and back/forward walk through them @js', async ({ page }) => {
  await page.goto('/facilities');
  await hydrated(page);
  const all = await cards(page).count();
  await byId(page, ids.FACILITY_KIND).selectOption('camera_garage');
  await expect(page).toHaveURL(/kind=camera_garage/);
  await expect(cards(page).first()).toHaveAttribute('data-kind', 'camera_garage');
  const garages = await cards(page).count();
  expect(garages).toBeLessThan(all);
  for (const kind of await cards(page).evaluateAll((els) => els.map((e) => e.dataset.kind))) {
    expect(kind).toBe('camera_garage');
  }
  await page.goBack();
  await expect(page).not.toHaveURL(/kind=/);
  await expect(cards(page)).toHaveCount(all);
  await expect(byId(page, ids.FACILITY_KIND)).toHaveValue('');
  await page.goForward();
  await expect(cards(page)).toHaveCount(garages);
});

test('the language switch turns the page English and remembers it @both', async ({ page }) => {
  await page.goto('/facilities?city=Uppsala');
  await byId(page, ids.LANG_SWITCH).getByText('English').click();
  await expect(page.locator('h1')).toHaveText('Where does the business account work?');
  await expect(page).toHaveURL(/city=Uppsala/);
  await page.goto('/facilities');
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await byId(page, ids.LANG_SWITCH).getByText('Svenska').click();
  await expect(page.locator('h1')).toHaveText('Var fungerar företagskontot?');
});

test('the page has no WCAG 2.1 A/AA violations @js', async ({ page }) => {
  await page.goto('/facilities');
  await hydrated(page);
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.nodes.length}`)).toEqual([]);
});

test('text typed before the WASM arrives survives the first change after hydration @js', async ({ page }) => {
  // Hold the WASM back so the user is typing while the page is not yet hydrated.
  await page.route(/\/pkg\/frontend-[0-9a-f]+_bg\.wasm$/, async (route) => {
    await new Promise((r) => setTimeout(r, 1500));
    await route.continue();
  });
  await page.goto('/facilities');
  await byId(page, ids.FACILITY_SEARCH).fill('garage');
  await hydrated(page);
  await byId(page, ids.FACILITY_CITY).selectOption('Stockholm');
  await expect(page).toHaveURL(/q=garage/);
  await expect(page).toHaveURL(/city=Stockholm/);
  await expect(byId(page, ids.FACILITY_SEARCH)).toHaveValue('garage');
});
