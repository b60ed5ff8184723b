// The export benchmark's browser half (scripts/bench-export.sh starts the server). Signs in
// as the demo owner through the dev mailbox, opens the history for a range of about a
// million rows, clicks Export and waits for the file; meanwhile samples the JS heap over
// CDP and records long tasks. Then runs papaparse's unparse on the same rows in the page.
const fs = require('fs');
const { chromium } = require('@playwright/test');

const [base, engine, from, to] = process.argv.slice(2);
// BENCH_EMAIL: another of the large company's owners or admins (an address may ask for a
// sign-in code once a minute, and more rarely after several tries).
const OWNER = process.env.BENCH_EMAIL || 'anna.lindberg@nordstrombygg.example';
const started = Date.now();
/** Where the run is, on stderr (the figures go to stdout). */
const stage = (what) => console.error(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${what}`);

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
    // The mailbox lists the oldest first: the code just asked for is the last.
    code = [...box.matchAll(/(\d{3} \d{3})/g)].map((m) => m[1]).pop() || null;
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
  stage(`the history shows ${total.trim()} rows; exporting`);

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
  // A refused chunk, a page error or the panel's error message ends the run at once with the
  // reason (a benchmark that only waits for a download that never comes says nothing).
  const trouble = [];
  page.on('response', (r) => {
    if (r.url().includes('/api/history_export') && r.status() !== 200) trouble.push(`${r.status()} ${r.url()}`);
  });
  page.on('pageerror', (e) => trouble.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') trouble.push(`console: ${m.text()}`); });
  const failed = page.waitForSelector('#export-panel .error', { timeout: 600_000 }).then(async (el) => {
    throw new Error(`the export failed: ${await el.textContent()} ${trouble.join('; ')}`);
  });
  const t0 = await page.evaluate(() => performance.now());
  const [download] = await Promise.all([
    Promise.race([page.waitForEvent('download', { timeout: 600_000 }), failed]),
    page.click('#export-start'),
  ]);
  failed.catch(() => {});
  stage('the file is there');
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
  stage('papaparse');
  await page.addScriptTag({ path: require.resolve('papaparse/papaparse.min.js') });
  // In slices of 100,000 lines: the whole file parsed into arrays at once (a million rows of
  // 14 cells) outgrows the renderer's heap and crashes the page. unparse is linear, so the
  // slices' times add up to the whole file's.
  const papa = await page.evaluate(async () => {
    const text = (await window.__portalExportBlob.text()).slice(1);
    let pos = text.indexOf('\r\n') + 2; // after the header
    let rows = 0;
    let ms = 0;
    let bytes = 0;
    while (pos < text.length) {
      let end = pos;
      for (let i = 0; i < 100_000 && end < text.length; i++) {
        const next = text.indexOf('\r\n', end);
        end = next === -1 ? text.length : next + 2;
      }
      const parsed = Papa.parse(text.slice(pos, end), { delimiter: ';', newline: '\r\n', skipEmptyLines: true }).data;
      const t = performance.now();
      const out = Papa.unparse(parsed, { delimiter: ';', newline: '\r\n', quotes: true, escapeFormulae: true });
      ms += performance.now() - t;
      bytes += out.length;
      rows += parsed.length;
      pos = end;
    }
    return { rows, ms, bytes };
  });
  stage('done');
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
