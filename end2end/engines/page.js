// The few operations the cross-engine flows need, whatever drives the browser. Each engine
// (firefox.js: puppeteer-core over WebDriver BiDi; webkit.js: selenium-webdriver over W3C
// WebDriver classic) implements the primitives marked "engine"; the waits here are built on
// `evaluate` alone, so they behave the same in every engine.

const DEFAULT_TIMEOUT = 15_000;

class TimeoutError extends Error {}

/** Polls `probe` until it returns something truthy; returns that. Errors while polling (a
 * page navigating under the script) count as "not yet". */
async function waitUntil(probe, what, timeout = DEFAULT_TIMEOUT, interval = 100) {
  const deadline = Date.now() + timeout;
  let lastError;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      const why = lastError ? ` (last error: ${String(lastError.message || lastError).split('\n')[0]})` : '';
      throw new TimeoutError(`timed out after ${timeout} ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** Retries an interaction while the element is being re-rendered (stale, not yet there,
 * covered): Leptos replaces parts of the page as resources resolve. */
async function retrying(action, what, timeout = DEFAULT_TIMEOUT) {
  let lastError;
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    try {
      return await action();
    } catch (e) {
      lastError = e;
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  throw new Error(`${what} failed: ${String(lastError && (lastError.message || lastError)).split('\n')[0]}`);
}

class Page {
  constructor(baseURL) {
    this.baseURL = baseURL;
  }

  // --- engine primitives -------------------------------------------------------------------
  /** Loads `path` (relative to the portal) and waits for the load event. */
  async goto(_path) { throw new Error('engine'); }
  /** Clears the field and types `text` into it as keystrokes. */
  async fill(_selector, _text) { throw new Error('engine'); }
  /** A real (trusted) click, through the browser's input, on the centre of the first element
   * matching the CSS selector (scrolled into view). */
  async rawClick(_selector) { throw new Error('engine'); }
  /** Picks the option with this value in a <select>, as a user would. */
  async select(_selector, _value) { throw new Error('engine'); }
  /** Runs `fn(...args)` in the page (it may be async) and returns its JSON-able result. */
  async evaluate(_fn, ..._args) { throw new Error('engine'); }
  /** The cookies the browser holds for the portal, as [{name, value, httpOnly}]. */
  async cookies() { throw new Error('engine'); }
  async screenshot(_file) { throw new Error('engine'); }
  /** From now on every operation (evaluate, fill, click, …) acts inside the <iframe>
   * matching `selector`, and keeps doing so while that frame navigates. */
  async enterFrame(_selector) { throw new Error('engine'); }
  /** Back to the top-level page. */
  async leaveFrame() { throw new Error('engine'); }
  async close() {}

  // --- built on evaluate ---------------------------------------------------------------------
  /** Clicks like rawClick, then checks that the click event reached that element: a page
   * that moves under the pointer between the press and the release gets its click elsewhere
   * (the common ancestor), which a user would see as a click that did nothing. Not retried. */
  async click(selector) {
    const token = `c${Date.now()}${Math.random()}`;
    await this.evaluate((s, t) => {
      const seen = { token: t, target: null, inside: false };
      window.__enginesClick = seen;
      document.addEventListener('click', (e) => {
        if (seen.target !== null) return;
        const el = document.querySelector(s);
        const n = e.target;
        seen.target = n.id ? `#${n.id}` : n.nodeName.toLowerCase() + (n.className && typeof n.className === 'string' ? `.${n.className.trim().split(/\s+/).join('.')}` : '');
        seen.inside = !!el && (n === el || el.contains(n));
      }, { capture: true, once: true });
    }, selector, token).catch(() => {});
    await this.rawClick(selector);
    let seen = null;
    try {
      seen = await this.evaluate(() => window.__enginesClick || null);
    } catch {
      return; // navigating: the click did something
    }
    if (!seen || seen.token !== token) return; // a new page: the click did something
    if (seen.target === null) throw new Error(`the click on ${selector} fired no click event`);
    if (!seen.inside) throw new Error(`the click on ${selector} landed on ${seen.target}, not on it (the page moved between press and release?)`);
  }

  async url() {
    return this.evaluate(() => location.href);
  }

  /** The whitespace-trimmed text of the first match, or null when there is none. */
  async text(selector) {
    return this.evaluate((s) => {
      const el = document.querySelector(s);
      return el ? el.textContent.trim() : null;
    }, selector);
  }

  async texts(selector) {
    return this.evaluate((s) => [...document.querySelectorAll(s)].map((e) => e.textContent.trim()), selector);
  }

  async attr(selector, name) {
    return this.evaluate((s, n) => {
      const el = document.querySelector(s);
      return el ? el.getAttribute(n) : null;
    }, selector, name);
  }

  async attrs(selector, name) {
    return this.evaluate((s, n) => [...document.querySelectorAll(s)].map((e) => e.getAttribute(n)), selector, name);
  }

  async value(selector) {
    return this.evaluate((s) => {
      const el = document.querySelector(s);
      return el ? el.value : null;
    }, selector);
  }

  async count(selector) {
    return this.evaluate((s) => document.querySelectorAll(s).length, selector);
  }

  /** Clicks the first element matching `selector` whose text contains `text`. */
  async clickText(selector, text) {
    const index = await this.waitFor(
      () => this.evaluate((s, t) => {
        const i = [...document.querySelectorAll(s)].findIndex((e) => e.textContent.includes(t));
        return i >= 0 ? i + 1 : 0;
      }, selector, text),
      `${selector} with text ${JSON.stringify(text)}`,
    );
    // Mark it, so the engine's own click (by CSS selector) hits exactly that element.
    const mark = `engines-${Date.now()}`;
    await this.evaluate((s, i, m) => document.querySelectorAll(s)[i - 1].setAttribute('data-engines-mark', m), selector, index, mark);
    await this.click(`[data-engines-mark="${mark}"]`);
  }

  waitFor(probe, what, timeout) {
    return waitUntil(probe, what, timeout);
  }

  /** Waits until an element matches (and, with `visible`, has a box). */
  async waitForSelector(selector, { timeout, visible = false } = {}) {
    await waitUntil(
      () => this.evaluate((s, v) => {
        const el = document.querySelector(s);
        if (!el) return false;
        if (!v) return true;
        const r = el.getBoundingClientRect();
        return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden';
      }, selector, visible),
      `${selector}${visible ? ' (visible)' : ''}`,
      timeout,
    );
  }

  async waitForGone(selector, { timeout } = {}) {
    await waitUntil(() => this.evaluate((s) => !document.querySelector(s), selector), `${selector} to go`, timeout);
  }

  /** Waits until the first match's text contains `expected` (a string or a RegExp). */
  async waitForText(selector, expected, { timeout } = {}) {
    let last = null;
    await waitUntil(async () => {
      last = await this.text(selector);
      if (last === null) return false;
      return expected instanceof RegExp ? expected.test(last) : last.includes(expected);
    }, `${selector} to contain ${expected} (had ${JSON.stringify(last)})`, timeout);
    return last;
  }

  async waitForUrl(re, { timeout } = {}) {
    let last = '';
    await waitUntil(async () => {
      last = await this.url();
      return re.test(last);
    }, `the URL to match ${re} (was ${last})`, timeout);
    return last;
  }

  /** Waits for the WASM to hydrate the page (app/src/shell.rs sets the attribute). */
  async waitForHydration({ timeout = 20_000 } = {}) {
    await this.waitForSelector('html[data-hydrated="true"]', { timeout });
  }
}

module.exports = { Page, waitUntil, retrying, TimeoutError, DEFAULT_TIMEOUT };
