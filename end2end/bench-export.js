// The export benchmark's browser half (scripts/bench-export.sh starts the server). Signs in
// as the demo owner through the dev mailbox, opens the history for a range of about a
// million rows, clicks Export and waits for the file; meanwhile samples the JS heap over
// CDP and records long tasks. Then runs papaparse's unparse on the same rows in the page.
const fs = require('fs');
const { chromium } = require('@playwright/test');

const [base, engine, from, to] = process.argv.slice(2);
const OWNER = 'anna.lindberg@nordstrombygg.example';

(async () => {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--enable-precise-memory-info'] });
  // bypassCSP: only so papaparse can be injected for the comparison.
  const context = await browser.newContext({ baseURL: base, bypassCSP: true, acceptDownloads: true });
  const page = await context.newPage();
  await page.addInitScript(() => {
    window.__portalBenchmark = true;
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
  await page.goto('/sign-in');
  await page.waitForSelector('html[data-hydrated="true"]');
  await page.fill('#sign-in-email', OWNER);
  await page.click('#sign-in-send');
  let code = null;
  for (let i = 0; i < 100 && !code; i++) {
    const box = await (await fetch(`${base}/dev/mailbox`)).text();
    code = (/(\d{3} \d{3})/.exec(box) || [])[1];
    if (!code) await new Promise((r) => setTimeout(r, 200));
  }
  if (!code) throw new Error('no code in the dev mailbox (asked less than a minute ago?)');
  await page.fill('#sign-in-code', code);
  await page.click('#sign-in-verify');
  await page.waitForURL(/\/$/);
  await page.goto(`/history?from=${from}&to=${to}`);
  await page.waitForSelector('html[data-hydrated="true"]');
  await page.waitForSelector('#history-table');
  const total = await page.textContent('#history-total-sessions');
  await page.click('#export-panel summary');

  const cdp = await context.newCDPSession(page);
  let peakHeap = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const { usedSize } = await cdp.send('Runtime.getHeapUsage');
      peakHeap = Math.max(peakHeap, usedSize);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const t0 = await page.evaluate(() => performance.now());
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 600_000 }),
    page.click('#export-start'),
  ]);
  const stats = await page.evaluate(() => window.__portalExport);
  sampling = false;
  await sampler;
  const t1 = t0 + stats.totalMs;
  const longTasks = await page.evaluate(([a, b]) => window.__longTasks.filter((t) => t.start + t.duration >= a && t.start <= b), [t0, t1]);
  const longest = longTasks.reduce((m, t) => Math.max(m, t.duration), 0);
  const file = await download.path();
  const size = fs.statSync(file).size;

  // papaparse on the same rows: parse our file back into arrays (not timed), then time unparse
  // with formula escaping on, as ours does.
  await page.addScriptTag({ path: require.resolve('papaparse/papaparse.min.js') });
  const papa = await page.evaluate(async () => {
    const text = (await window.__portalExportBlob.text()).slice(1);
    const parsed = Papa.parse(text, { delimiter: ';', newline: '\r\n', skipEmptyLines: true });
    const rows = parsed.data;
    const t = performance.now();
    const out = Papa.unparse(rows, { delimiter: ';', newline: '\r\n', quotes: true, escapeFormulae: true });
    const ms = performance.now() - t;
    return { rows: rows.length - 1, ms, bytes: out.length };
  });
  await browser.close();
  const r = {
    engine,
    rows: stats.rows,
    totalShown: total.trim(),
    seconds: stats.totalMs / 1000,
    rowsPerSecond: Math.round(stats.rows / (stats.totalMs / 1000)),
    buildMs: Math.round(stats.buildMs),
    longestBuildMs: Math.round(stats.longestBuildMs),
    papaparseUnparseMs: Math.round(papa.ms),
    buildVsPapaparse: +(stats.buildMs / papa.ms).toFixed(2),
    longestTaskMs: Math.round(longest),
    tasksOver200ms: longTasks.filter((t) => t.duration > 200).length,
    peakJsHeapMB: +(peakHeap / 1048576).toFixed(1),
    fileMB: +(size / 1048576).toFixed(1),
  };
  console.log(JSON.stringify(r));
  console.log(`| ${engine} | ${r.rows.toLocaleString('en')} | ${r.seconds.toFixed(2)} | ${r.rowsPerSecond.toLocaleString('en')} | ${r.buildMs} | ${r.papaparseUnparseMs} | ${r.buildVsPapaparse}× | ${r.longestTaskMs} | ${r.peakJsHeapMB} | ${r.fileMB} |`);
})().catch((e) => { console.error(e); process.exit(1); });
