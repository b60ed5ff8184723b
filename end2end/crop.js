// Crops a region of a PNG with Chromium (no image library here): node end2end/crop.js in out x y w h
const { chromium } = require('@playwright/test');
(async () => {
  const [inp, out, x, y, w, h] = process.argv.slice(2);
  const b = await chromium.launch({ executablePath: '/usr/bin/chromium' });
  const p = await b.newPage({ viewport: { width: +w, height: +h } });
  const data = require('fs').readFileSync(inp).toString('base64');
  await p.setContent(`<body style="margin:0"><img style="position:absolute;left:-${x}px;top:-${y}px" src="data:image/png;base64,${data}"></body>`);
  await p.screenshot({ path: out });
  await b.close();
})();
