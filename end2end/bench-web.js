// Lighthouse (mobile, simulated slow 4G and a 4× slower CPU: its defaults) on the sign-in,
// history and members pages of a running portal, median of RUNS runs per page. The signed-in
// pages get the demo owner's session cookie (signed in through the dev mailbox with Debian's
// Chromium). Prints one Markdown table. Usage (scripts/bench-web.sh runs it):
//   LIGHTHOUSE=…/bin/lighthouse node end2end/bench-web.js BASE [RUNS]
const { execFileSync } = require('node:child_process');
const { sessionCookie } = require('./dev-sign-in');

const OWNER = 'anna.lindberg@nordstrombygg.example';
const PAGES = [
  { path: '/sign-in', signedIn: false },
  { path: '/history', signedIn: true },
  { path: '/members', signedIn: true },
];

function lighthouse(url, cookie) {
  const args = [
    url,
    '--quiet',
    '--only-categories=performance,best-practices',
    '--output=json',
    '--output-path=stdout',
    '--chrome-flags=--headless=new --no-sandbox --disable-gpu',
  ];
  if (cookie) args.push(`--extra-headers=${JSON.stringify({ Cookie: cookie })}`);
  // Headless Chromium now and then loses the trace (NO_NAVSTART): try such a run again.
  let out;
  for (let attempt = 1; !out; attempt++) {
    try {
      out = execFileSync(process.env.LIGHTHOUSE, args, {
        env: { ...process.env, CHROME_PATH: '/usr/bin/chromium' },
        maxBuffer: 64 * 1024 * 1024,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (e) {
      if (attempt >= 3) throw e;
      console.error(`lighthouse ${url}: ${String(e.stderr).trim()} (trying again)`);
    }
  }
  if (process.env.BENCH_WEB_SAVE) {
    require('node:fs').writeFileSync(`${process.env.BENCH_WEB_SAVE}/${new URL(url).pathname.slice(1)}.json`, out);
  }
  const r = JSON.parse(out);
  const a = r.audits;
  return {
    perf: Math.round(r.categories.performance.score * 100),
    bp: Math.round(r.categories['best-practices'].score * 100),
    fcp: a['first-contentful-paint'].numericValue,
    lcp: a['largest-contentful-paint'].numericValue,
    tbt: a['total-blocking-time'].numericValue,
    si: a['speed-index'].numericValue,
    cls: a['cumulative-layout-shift'].numericValue,
    failed: Object.values(a)
      .filter((x) => x.score !== null && x.score < 1 && r.categories['best-practices'].auditRefs.some((ref) => ref.id === x.id && ref.weight > 0))
      .map((x) => x.id),
    finalUrl: r.finalDisplayedUrl,
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

(async () => {
  const [base, runsArg = '3'] = process.argv.slice(2);
  const runs = Number(runsArg);
  const cookie = await sessionCookie(base, OWNER);

  console.log(`| Page | Performance | Best practices | FCP | LCP | TBT | Speed index | CLS |`);
  console.log(`|---|---|---|---|---|---|---|---|`);
  for (const p of PAGES) {
    const results = [];
    for (let i = 0; i < runs; i++) results.push(lighthouse(base + p.path, p.signedIn ? cookie : null));
    const landed = new URL(results[0].finalUrl).pathname;
    if (landed !== p.path) throw new Error(`${p.path} ended on ${landed} (signed out?)`);
    const m = (k) => median(results.map((r) => r[k]));
    const ms = (k) => `${(m(k) / 1000).toFixed(2)} s`;
    console.log(`| \`${p.path}\` | ${m('perf')} | ${m('bp')} | ${ms('fcp')} | ${ms('lcp')} | ${Math.round(m('tbt'))} ms | ${ms('si')} | ${m('cls').toFixed(3)} |`);
    const failed = [...new Set(results.flatMap((r) => r.failed))];
    if (failed.length) console.log(`|  | best-practices audits not passed: ${failed.join(', ')} | | | | | | |`);
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
