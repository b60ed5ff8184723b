// Checks the engines and their adapters without the portal: a little page on a local
// `python3 -m http.server`, and in each engine: load it, type, pick an option, click, read
// text, run (async) JavaScript, read a cookie. `node end2end/engines/smoke.js [firefox,webkit]`
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const { waitUntil } = require('./page');

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>probe</title></head><body>
<input id="name" name="name"><select id="pick"><option value="a">A</option><option value="b">B</option></select>
<button id="go" type="button">Go</button><p id="out"></p>
<script>
document.cookie = 'probe=1; path=/';
document.getElementById('pick').addEventListener('change', (e) => { document.body.dataset.picked = e.target.value; });
document.getElementById('go').addEventListener('click', () => {
  document.getElementById('out').textContent = 'Hello ' + document.getElementById('name').value + ' ' + (document.body.dataset.picked || '-');
});
</script></body></html>`;

async function main() {
  const engines = (process.argv[2] || 'firefox,webkit').split(',');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'engines-smoke-'));
  fs.writeFileSync(path.join(root, 'index.html'), PAGE);
  const port = 20000 + Math.floor(Math.random() * 20000);
  const http = spawn('python3', ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', root], { stdio: 'ignore' });
  const base = `http://127.0.0.1:${port}/`;
  let failed = 0;
  try {
    await waitUntil(async () => (await fetch(base)).ok, 'the http server', 10_000);
    for (const engine of engines) {
      const t0 = Date.now();
      const browser = await require(`./${engine}`).launch({ baseURL: base, downloadDir: path.join(root, `dl-${engine}`) });
      try {
        const page = await browser.newPage();
        await page.goto('/');
        await page.fill('#name', engine);
        await page.select('#pick', 'b');
        await page.click('#go');
        const text = await page.waitForText('#out', 'Hello');
        const js = await page.evaluate(async (a, b) => { await new Promise((r) => setTimeout(r, 10)); return a + b; }, 1, 2);
        const cookies = (await page.cookies()).map((c) => c.name);
        const ok = text === `Hello ${engine} b` && js === 3 && cookies.includes('probe');
        if (!ok) failed += 1;
        console.log(`${ok ? 'ok  ' : 'FAIL'} ${engine} (${browser.version}): text=${JSON.stringify(text)} js=${js} cookies=${cookies} in ${Date.now() - t0} ms`);
        await page.close();
      } catch (e) {
        failed += 1;
        console.log(`FAIL ${engine}: ${e.message}`);
      } finally {
        await browser.close();
      }
    }
  } finally {
    http.kill();
    fs.rmSync(root, { recursive: true, force: true });
  }
  process.exit(failed ? 1 : 0);
}

main().catch((e) => { console.error(e); process.exit(1); });
