// Trunk's post-build hook (Trunk.toml): runs in Trunk's staging directory before it becomes
// target/site/pkg. Two jobs:
//
// 1. Record the bundle's hashed file names (Trunk names them after their content:
//    frontend-<hash>.js, frontend-<hash>_bg.wasm, main-<hash>.css) in assets.json. The server
//    reads it at start-up (app/src/assets.rs) to link them from every page and to serve them
//    `immutable` for a year.
// 2. Precompress those three files once, at build time, at the highest levels (brotli 11,
//    gzip 9): the server sends file.br or file.gz as the browser accepts (tower-http's
//    ServeDir precompressed_br/precompressed_gzip) instead of compressing on every request.
//
// Only Node's standard library: no npm package is needed for `make run`.
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';

const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) {
  console.error('site-assets: TRUNK_STAGING_DIR is not set (run by Trunk only)');
  process.exit(1);
}
const html = readFileSync(join(dir, 'index.html'), 'utf8');
const files = readdirSync(dir);
const pick = (what, re) => {
  // The page Trunk wrote names the files; the directory listing must agree.
  const found = [...html.matchAll(/(?:href|src)="[^"]*?\/([^"/]+)"/g)].map((m) => m[1]).filter((n) => re.test(n));
  const unique = [...new Set(found)];
  if (unique.length !== 1 || !files.includes(unique[0])) {
    console.error(`site-assets: expected one ${what} in ${dir}/index.html, found ${JSON.stringify(unique)}`);
    process.exit(1);
  }
  return unique[0];
};
const assets = {
  js: pick('frontend-<hash>.js', /^frontend-[0-9a-f]+\.js$/),
  wasm: pick('frontend-<hash>_bg.wasm', /^frontend-[0-9a-f]+_bg\.wasm$/),
  css: pick('main-<hash>.css', /^main-[0-9a-f]+\.css$/),
};
writeFileSync(join(dir, 'assets.json'), JSON.stringify(assets) + '\n');

for (const name of Object.values(assets)) {
  const raw = readFileSync(join(dir, name));
  const br = brotliCompressSync(raw, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_LGWIN]: constants.BROTLI_MAX_WINDOW_BITS,
      [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
    },
  });
  const gz = gzipSync(raw, { level: 9 });
  writeFileSync(join(dir, name + '.br'), br);
  writeFileSync(join(dir, name + '.gz'), gz);
  console.log(`site-assets: ${name} ${raw.length} B, br ${br.length} B, gzip ${gz.length} B`);
}
