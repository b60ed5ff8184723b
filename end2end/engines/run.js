// Runs the flows of flows.js in each engine against a portal that is already running
// (scripts/test-engines.sh starts it, with its own mail catcher, and sets the variables):
//   ENGINES_BASE_URL  the portal (http://127.0.0.1:3200)
//   MAILDEV_URL       its mail catcher's web API (http://127.0.0.1:1081), read by ../mail.js
//   ENGINES_FIXTURES  the fixtures.json that end2end/serve.sh wrote for that portal
//   ENGINES           which engines (firefox,webkit); ENGINES_FLOWS: which flows (all)
//   ENGINES_OUT       where screenshots of failures and downloads go
//   ENGINES_WEBKIT_TLS=0  WebKit straight over http (it then cannot keep the session cookie;
//                     tls-front.js)
// Prints a line per flow, then "engines: N passed, M failed"; exits 1 on any failure.
const fs = require('fs');
const path = require('path');
const { flows } = require('./flows');

const BASE = process.env.ENGINES_BASE_URL || 'http://127.0.0.1:3200';
const OUT = path.resolve(process.env.ENGINES_OUT || 'target/e2e-engines/results');
const FIXTURES = process.env.ENGINES_FIXTURES || 'target/e2e-engines/fixtures.json';
const FLOW_TIMEOUT = Number(process.env.ENGINES_FLOW_TIMEOUT_MS || 90_000);
const LAUNCH_TIMEOUT = 90_000;
const list = (v, all) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : all);
const ENGINES = list(process.env.ENGINES, ['firefox', 'webkit']);
const FLOWS = list(process.env.ENGINES_FLOWS, Object.keys(flows));

const launchers = {
  firefox: () => require('./firefox').launch({ baseURL: BASE, downloadDir: path.join(OUT, 'downloads-firefox') }),
  webkit: () => require('./webkit').launch({ baseURL: BASE, downloadDir: path.join(OUT, 'downloads-webkit') }),
};

function within(ms, promise, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} took more than ${ms / 1000} s`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

const secs = (t0) => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

// Opening a page starts a browser session (for WebKit a fresh MiniBrowser under the driver).
// Now and then, on a busy two-core machine, that start never answers: nothing of the portal
// has run yet, so one second try with a fresh session is fair and is printed. A page that the
// first try opens after all is closed, so no session is left behind.
async function openPage(browser, engine) {
  const first = browser.newPage();
  try {
    return await within(25_000, first, `opening a ${engine} page`);
  } catch (err) {
    first.then((late) => late.close()).catch(() => {});
    console.log(`        ${err.message}; opening a fresh one`);
    return within(30_000, browser.newPage(), `opening a ${engine} page (second try)`);
  }
}

// The engine running now, stopped on SIGTERM (the runner's time limit); no new engine or
// flow starts once stopping. Process exit stops the WebKit driver's group (webkit.js).
let active = null;
let stopping = false;
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, async () => {
    if (stopping) return;
    stopping = true;
    console.log(`stopped by ${sig}`);
    if (active) await within(10_000, active.close(), 'closing').catch(() => {});
    console.log('engines: 0 passed, 1 failed (stopped)');
    process.exit(1);
  });
}

async function main() {
  const fixtures = JSON.parse(fs.readFileSync(FIXTURES, 'utf8'));
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(OUT, { recursive: true });
  const results = [];
  const started = Date.now();
  for (const engine of ENGINES) {
    if (stopping) break;
    if (!launchers[engine]) throw new Error(`unknown engine ${engine} (firefox, webkit)`);
    const people = fixtures.engines && fixtures.engines[engine];
    const t0 = Date.now();
    let browser;
    try {
      if (!people) throw new Error(`fixtures.json has no engines.${engine} (end2end/fixtures.py)`);
      browser = await within(LAUNCH_TIMEOUT, launchers[engine](), `starting ${engine}`);
      active = browser;
      console.log(`${engine}: ${browser.version}, started in ${secs(t0)}`);
    } catch (err) {
      console.log(`${engine}: could not start: ${err.message}`);
      for (const name of FLOWS) results.push({ engine, name, ok: false, error: `no browser: ${err.message}` });
      continue;
    }
    for (const name of FLOWS) {
      if (stopping) break;
      const flow = flows[name];
      if (!flow) throw new Error(`unknown flow ${name} (${Object.keys(flows).join(', ')})`);
      const f0 = Date.now();
      let page;
      try {
        page = await openPage(browser, engine);
        const notes = await within(FLOW_TIMEOUT, flow(page, fixtures, people, { engine, engineInfo: browser }), `${engine} ${name}`);
        results.push({ engine, name, ok: true });
        console.log(`  ok    ${engine} ${name} (${secs(f0)})`);
        for (const n of notes || []) console.log(`        ${n}`);
      } catch (err) {
        results.push({ engine, name, ok: false, error: err.message });
        console.log(`  FAIL  ${engine} ${name} (${secs(f0)}): ${err.message}`);
        if (page) {
          const shot = path.join(OUT, `${engine}-${name}.png`);
          const url = await within(5_000, page.url(), 'url').catch(() => '?');
          console.log(`        at ${url}`);
          await within(10_000, page.screenshot(shot), 'screenshot').then(() => console.log(`        screenshot: ${path.relative(process.cwd(), shot)}`)).catch(() => {});
          for (const line of (page.log || []).slice(-15)) console.log(`        ${line}`);
        }
      } finally {
        if (page) await within(15_000, page.close(), 'closing the page').catch(() => {});
      }
    }
    await within(20_000, browser.close(), `closing ${engine}`).catch(() => {});
    active = null;
  }
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  const whole = process.env.ENGINES_T0 ? `, ${secs(Number(process.env.ENGINES_T0))} with the server's start` : '';
  console.log(`time: ${secs(started)} in the browsers${whole}`);
  console.log(`engines: ${passed} passed, ${failed} failed`);
  fs.writeFileSync(path.join(OUT, 'results.json'), JSON.stringify(results, null, 2));
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    console.log('engines: 0 passed, 1 failed (the runner itself failed)');
    process.exit(1);
  },
);
