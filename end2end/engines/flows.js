// The main user flows, written once against the engine-neutral page (page.js) and run in
// Firefox and WebKit by run.js, with JavaScript on: every flow waits for the WASM to hydrate
// before it uses a form, so it drives the hydrated app, not the plain-form fallback (the
// Playwright suite covers that in Chromium). Elements are found by id and data attributes,
// never by their (translated) text. Each flow signs in as its own person of
// fixtures.json's `engines.<engine>` (end2end/fixtures.py): an address may ask for a code
// once a minute, and no Playwright test signs in as any of them.
const ids = require('../ids');
const mail = require('../mail');
const { parseCsv } = require('../csv');

const $ = (id) => `#${id}`;

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

/** Digits only: "1 234" / "1,234" → 1234 (whatever the language's grouping). */
const integer = (text) => Number(String(text).replace(/\D/g, ''));

const pathOf = (url) => new URL(url).pathname;


/** The sign-in page: address → the code from the mail catcher → verify; returns where it
 * landed (the session's start page), hydrated. */
async function signIn(page, email) {
  await page.goto('/sign-in');
  return signInHere(page, email);
}

/** The same, on the sign-in page already loaded (the `embedded` flow's iframe). */
async function signInHere(page, email) {
  await page.waitForHydration();
  await page.fill($(ids.SIGN_IN_EMAIL), email);
  const since = Date.now();
  await page.click($(ids.SIGN_IN_SEND));
  await page.waitForText($(ids.SIGN_IN_SENT), email);
  const code = await mail.codeFor(email, since);
  await page.fill($(ids.SIGN_IN_CODE), code);
  await page.click($(ids.SIGN_IN_VERIFY));
  const url = await page.waitFor(async () => {
    const u = await page.url();
    return pathOf(u) !== '/sign-in' && u;
  }, 'the page after signing in');
  await page.waitForHydration();
  return url;
}

const SESSION_COOKIE = '__Host-portal_session';

const flows = {
  /** (1) Sign in with the mailed code: company, role and address shown; the session cookie
   * is out of the page's reach; sign out; the start page asks to sign in again. */
  async 'sign-in'(page, f, e) {
    const landed = await signIn(page, e.signIn);
    check(pathOf(landed) === '/', `landed on ${landed}, not /`);
    await page.waitForText($(ids.HOME_COMPANY), f.companyName);
    check((await page.text($(ids.HOME_ROLE))) !== '', 'a role is shown');
    check((await page.text($(ids.HEADER_USER))) === e.signIn, 'the header names the address');
    const cookies = await page.cookies();
    const session = cookies.find((c) => c.name === SESSION_COOKIE);
    check(session, `the browser holds ${SESSION_COOKIE} (has: ${cookies.map((c) => c.name).join(', ') || 'none'})`);
    check(session.httpOnly, 'the session cookie is HttpOnly');
    check(!(await page.evaluate(() => document.cookie)).includes(SESSION_COOKIE), 'document.cookie does not show it');
    await page.click($(ids.SIGN_OUT));
    await page.waitForUrl(/\/sign-in$/);
    await page.goto('/');
    await page.waitForUrl(/\/sign-in(\?|$)/);
    // Signing out ends that session: the browser no longer holds its token (the sign-in page
    // may have given it a fresh, anonymous one).
    const later = (await page.cookies()).find((c) => c.name === SESSION_COOKIE);
    check(!later || later.value !== session.value, 'signed out: the signed-in session cookie is gone');
    const lang = await page.evaluate(() => `${document.documentElement.lang} (the browser asks for ${navigator.languages.join(', ')})`);
    return [`page language: ${lang}`];
  },

  /** (2a) Members: the owner opens the list from the start page and invites someone: listed
   * as pending at once (a server action, no reload), and the mail arrives. */
  async 'members-invite'(page, f, e, { engine }) {
    await signIn(page, e.owner);
    await page.waitForText($(ids.HOME_COMPANY), e.ownCompany);
    await page.click($(ids.HOME_MEMBERS_LINK));
    await page.waitForUrl(/\/members$/);
    await page.waitForSelector(`${$(ids.MEMBER_LIST)} > li`);
    await page.waitForHydration();

    const invited = `ny.${engine}.${Date.now()}@${e.domain}`;
    await page.fill($(ids.INVITE_EMAIL), invited);
    await page.select($(ids.INVITE_ROLE), 'member');
    const since = Date.now();
    await page.click($(ids.INVITE_SUBMIT));
    const row = `${$(ids.INVITATION_LIST)} li[data-email="${invited}"]`;
    await page.waitForSelector(`${row}[data-status="inv-pending"]`);
    const invitation = await mail.waitForMail(invited, since);
    check(/\/invite\/[0-9a-f]{64}/.test(invitation.text), 'the invitation mail carries its link');
    check(pathOf(await page.url()) === '/members', 'the invite stays on /members');
  },

  /** (2b) Members: the other owner removes the person in the third row — not the first —
   * after the confirm step; only that person goes, and for good. */
  async 'members-remove'(page, f, e) {
    await signIn(page, e.remover);
    await page.goto('/members');
    await page.waitForHydration();
    await page.waitForSelector(`${$(ids.MEMBER_LIST)} > li`);
    const before = await page.attrs(`${$(ids.MEMBER_LIST)} > li`, 'data-email');
    check(before.length >= 4, `the list has rows to choose from (${before.length})`);
    const target = before[2];
    check(![e.owner, e.remover].includes(target), `the third row (${target}) is not an owner`);
    await page.click(`${$(ids.MEMBER_LIST)} > li:nth-child(3) a[href*="remove="]`);
    await page.waitForText($(ids.CONFIRM_REMOVE), target);
    await page.waitForUrl(/[?&]remove=/);
    await page.click($(ids.CONFIRM_REMOVE_YES));
    await page.waitForGone($(ids.CONFIRM_REMOVE));
    await page.waitFor(async () => {
      const now = await page.attrs(`${$(ids.MEMBER_LIST)} > li`, 'data-email');
      return now.length === before.length - 1 && !now.includes(target);
    }, `${target} to leave the list`);
    const after = await page.attrs(`${$(ids.MEMBER_LIST)} > li`, 'data-email');
    check(JSON.stringify(after) === JSON.stringify(before.filter((m) => m !== target)), 'only the third row went');
    await page.waitForUrl(/\/members$/);
    // From the server, not the page's memory: gone for good.
    await page.goto(`/members?q=${encodeURIComponent(target)}`);
    await page.waitForText($(ids.MEMBER_COUNT), /^0\D/);
    await page.goto('/members');
    await page.waitForSelector(`${$(ids.MEMBER_LIST)} > li`);
    check((await page.count(`${$(ids.MEMBER_LIST)} > li`)) === before.length - 1, 'the list is one shorter');
  },

  /** (3) History: pick another month (the year/month filter, applied at once when
   * hydrated); the URL and the rows change; a reload keeps it; then the CSV export builds its
   * Blob in the browser — caught where the page hands it to URL.createObjectURL, and in
   * Firefox also the downloaded file — and holds every row. */
  async history(page, f, e, { engine, engineInfo }) {
    await signIn(page, e.historyAdmin);
    // The last month of the fixed demo data (fixtures.json), as from a bookmark: the page's
    // default, this month, holds none of it once the calendar has passed the data's end.
    await page.goto(`/history?year=${f.dataYear}&month=${f.dataMonth}`);
    await page.waitForHydration();
    await page.waitForSelector($(ids.HISTORY_TABLE));
    const year = await page.value($(ids.HISTORY_YEAR));
    const month = await page.value($(ids.HISTORY_MONTH));
    const years = await page.attrs(`${$(ids.HISTORY_YEAR)} option`, 'value');
    check(years.includes(year), `the year select holds ${year}`);
    // The month before the one shown, which the data covers too.
    const target = String(Number(month) > 1 ? Number(month) - 1 : 2);
    // Compared without white space: a row rendered in the browser after the filter changed
    // and the same row rendered by the server may space its cells differently.
    const rowsOf = async () => (await page.texts(`${$(ids.HISTORY_TABLE)} tbody tr`)).map((t) => t.replace(/\s+/g, ''));
    const countBefore = await page.text($(ids.HISTORY_COUNT));
    const rowsBefore = await rowsOf();
    await page.select($(ids.HISTORY_MONTH), target);
    const url = await page.waitForUrl(new RegExp(`[?&]month=${target}(&|$)`));
    check(new URL(url).searchParams.get('year') === year, `the URL keeps year=${year}`);
    await page.waitFor(async () => (await page.text($(ids.HISTORY_COUNT))) !== countBefore, 'the count line to change');
    const rowsAfter = await rowsOf();
    check(rowsAfter.length > 0, 'the other month has sessions');
    check(JSON.stringify(rowsAfter) !== JSON.stringify(rowsBefore), 'the rows changed');
    // The filter lives in the URL: a fresh load shows the same.
    await page.goto(new URL(url).pathname + new URL(url).search);
    await page.waitForHydration();
    check((await page.value($(ids.HISTORY_MONTH))) === target, 'after a reload the month is kept');
    check(JSON.stringify(await rowsOf()) === JSON.stringify(rowsAfter), 'after a reload the rows are the same');

    // The export.
    const total = integer(await page.text($(ids.HISTORY_TOTAL_SESSIONS)));
    check(total > 0, 'the month has sessions to export');
    await page.click(`${$(ids.EXPORT_PANEL)} summary`);
    await page.waitFor(() => page.evaluate((s) => { const b = document.querySelector(s); return b && !b.disabled; }, $(ids.EXPORT_START)), 'the export button to be enabled');
    await page.evaluate(() => {
      // Keep what the page hands to the browser's download: the Blob and the link's name.
      const seen = { blobs: [], links: [] };
      window.__enginesExport = seen;
      const create = URL.createObjectURL;
      URL.createObjectURL = function (obj) {
        const url = create.call(URL, obj);
        seen.blobs.push({ url, blob: obj });
        return url;
      };
      const click = HTMLAnchorElement.prototype.click;
      HTMLAnchorElement.prototype.click = function () {
        seen.links.push({ href: this.href, download: this.download });
        return click.call(this);
      };
    });
    const startedAt = Date.now();
    await page.click($(ids.EXPORT_START));
    await page.waitForSelector($(ids.EXPORT_DONE), { timeout: 30_000 });
    const got = await page.evaluate(async () => {
      const seen = window.__enginesExport;
      if (!seen || !seen.blobs.length) return null;
      const { url, blob } = seen.blobs[seen.blobs.length - 1];
      const bytes = new Uint8Array(await blob.arrayBuffer());
      return {
        url, type: blob.type, size: blob.size, head: [...bytes.slice(0, 3)],
        text: new TextDecoder().decode(bytes.slice(3)), links: seen.links,
      };
    });
    check(got, 'the page made an object URL for the export');
    check(got.type.startsWith('text/csv'), `a CSV Blob (${got.type})`);
    check(JSON.stringify(got.head) === '[239,187,191]', 'the file starts with a UTF-8 BOM');
    const link = got.links.find((l) => l.href === got.url);
    check(link, 'a download link was clicked for that object URL');
    check(/^sessions-[a-z0-9-]+\.csv$/.test(link.download), `the file name ${link.download}`);
    const sep = got.text.split('\r\n')[0].includes(';') ? ';' : ',';
    const [header, ...data] = parseCsv(got.text, sep);
    check(data.length === total, `${data.length} rows in the file, ${total} on the page`);
    for (const r of data) check(r.length === header.length, 'every row has every column');
    check((await page.text($(ids.EXPORT_DONE))).includes(String(total)) || total >= 1000, 'the page says how many rows');

    // The file on disk: both engines are set to save downloads to a folder without asking
    // (firefox.js: prefs; webkit.js: the XDG download folder MiniBrowser uses).
    const file = await savedFile(engineInfo.downloadDir, link.download, got.size, startedAt, 15_000);
    check(file, `${engine} saved ${link.download} in ${engineInfo.downloadDir}`);
    const saved = require('fs').readFileSync(file);
    check(saved.subarray(3).toString('utf8') === got.text, 'the saved file is the Blob, byte for byte');
    return [`export: ${data.length} rows; the Blob (${got.size} bytes, caught at URL.createObjectURL) and the saved ${require('path').basename(file)} agree`];
  },

  /** (4) Front desk: a reception account lands on its page, registers a guest's plate (typed
   * lower case, no space), sees the confirmation naming it, and gets back an empty form with
   * the guest listed as expected. */
  async frontdesk(page, f, e, { engine }) {
    const landed = await signIn(page, e.desk);
    check(pathOf(landed) === '/frontdesk', `the desk lands on /frontdesk (${landed})`);
    await page.waitForSelector($(ids.FD_FORM));
    const letters = engine === 'firefox' ? 'FFX' : 'WKT';
    const plate = `${letters} ${String(Date.now()).slice(-3)}`;
    await page.fill($(ids.FD_PLATE), plate.replace(' ', '').toLowerCase());
    check(await page.value($(ids.FD_FACILITY)), 'a facility is chosen');
    await page.click($(ids.FD_REGISTER));
    await page.waitForText($(ids.FD_REGISTERED), plate);
    await page.waitForUrl(/[?&]registered=/);
    await page.click($(ids.FD_NEXT));
    await page.waitForSelector($(ids.FD_PLATE));
    check((await page.value($(ids.FD_PLATE))) === '', 'the form is empty again');
    await page.waitForSelector(`${$(ids.FD_GUESTS)} li[data-plate="${plate}"][data-status="expected"]`);
  },

  /** (5) Inside the operator's iframe, from another site (frame-host.js): the sign-in page
   * sets a partitioned test cookie and, when the browser drops it (third-party cookies
   * blocked), says so with "allow" and "open in its own tab"; when it sticks, signing in
   * inside the frame works. What the browser does is probed here too, with a cookie of the
   * same kind, and the page must agree. Firefox keeps it (its default, total cookie
   * protection: partitioned, firefox.js); MiniBrowser's default policy is no-third-party. */
  async embedded(page, f, e, { engine, engineInfo }) {
    const portal = new URL('/sign-in', page.baseURL).href;
    const origin = portal.startsWith('https:')
      ? process.env.ENGINES_FRAME_HOST_HTTPS || 'https://127.0.0.2:3202'
      : process.env.ENGINES_FRAME_HOST_HTTP || 'http://127.0.0.2:3201';
    const tlsDir = require('path').join(engineInfo.downloadDir, '..', 'tls');
    const host = await require('./frame-host').start(origin, portal, tlsDir);
    try {
      await page.goto(host.url);
      check((await page.evaluate(() => location.origin)) === origin, `the host page is on ${origin}`);
      await page.enterFrame('#portal');
      await page.waitForHydration();
      check((await page.evaluate(() => window.parent !== window)), 'the portal is framed');
      const framedUrl = await page.url();
      check(framedUrl === portal, `the frame shows ${portal} (${framedUrl})`);
      // What the browser itself does with a third-party cookie of the page's kind.
      const kept = await page.evaluate(() => {
        document.cookie = 'engines_probe=1; Path=/; Max-Age=30; Secure; SameSite=None; Partitioned';
        const k = document.cookie.includes('engines_probe=1');
        document.cookie = 'engines_probe=; Path=/; Max-Age=0; Secure; SameSite=None; Partitioned';
        return k;
      });
      // The check runs in an effect after hydration: give it a moment to show.
      const blocked = await page.waitFor(() => page.count($(ids.FRAME_COOKIES_BLOCKED)), 'the notice', 2_000).then(() => true, () => false);
      const notes = [`host ${host.url} frames ${portal}; the browser ${kept ? 'keeps' : 'drops'} a third-party cookie set in the frame`];
      check(blocked === !kept, `the notice is ${blocked ? 'shown' : 'not shown'}, but the browser ${kept ? 'keeps' : 'drops'} the test cookie`);
      if (engine === 'firefox') check(kept, 'Firefox keeps a partitioned third-party cookie');
      if (blocked) {
        await page.waitForSelector($(ids.FRAME_ALLOW), { visible: true });
        await page.waitForSelector($(ids.FRAME_OWN_TAB), { visible: true });
        const own = await page.evaluate((s) => { const a = document.querySelector(s); return { href: a.href, target: a.target }; }, $(ids.FRAME_OWN_TAB));
        check(own.href === portal, `"open in its own tab" links to ${portal} (${own.href})`);
        check(own.target === '_blank', `… in a new tab (target=${own.target})`);
        notes.push(`notice shown: #${ids.FRAME_ALLOW}, #${ids.FRAME_OWN_TAB} → ${own.href} (target ${own.target})`);
      } else {
        const landed = await signInHere(page, e.embedded);
        check(pathOf(landed) === '/', `signed in inside the frame, on ${landed}`);
        await page.waitForText($(ids.HOME_COMPANY), f.companyName);
        await page.leaveFrame();
        check((await page.url()) === host.url, 'the host page stayed where it was');
        // Partitioned: the portal on its own (first party) does not see that session. (Led
        // there by the page, not page.goto: puppeteer's goto away from a page with a frame
        // missed the load event here.)
        await page.evaluate((u) => { setTimeout(() => { location.href = u; }, 0); }, new URL('/', page.baseURL).href);
        await page.waitFor(async () => (await page.url()).split('?')[0] === portal, `${portal} on its own (signed out)`);
        notes.push(`no notice; signed in inside the frame as ${e.embedded}, landed on ${landed}; the portal in its own tab stays signed out (partitioned)`);
      }
      return notes;
    } finally {
      await host.close();
    }
  },
};

/** Waits for `name` (or name (1) …) in `dir`, complete and written after `since`. */
async function savedFile(dir, name, size, since, timeout) {
  const fs = require('fs');
  const path = require('path');
  const stem = name.replace(/\.csv$/, '');
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    const hit = (fs.existsSync(dir) ? fs.readdirSync(dir) : [])
      .filter((n) => n.startsWith(stem) && n.endsWith('.csv'))
      .map((n) => path.join(dir, n))
      .find((p) => {
        const st = fs.statSync(p);
        return st.mtimeMs >= since - 1000 && st.size === size;
      });
    if (hit) return hit;
    await new Promise((r) => setTimeout(r, 200));
  }
  return null;
}

module.exports = { flows, signIn, signInHere };
