// The operator's page that frames the portal, for the `embedded` flow: served from another
// site than the portal (127.0.0.2, not 127.0.0.1: for cookies a different port is the same
// site, a different host is not). Over http for Firefox, over https (the throwaway
// certificate of tls-front.js) for WebKit, whose portal is the https front. Its origin must be
// in the portal's PORTAL_FRAME_ANCESTORS (scripts/test-engines.sh sets both).
const http = require('http');
const https = require('https');
const { certificate } = require('./tls-front');

/** Serves /host.html framing `portalUrl` on `origin` (e.g. http://127.0.0.2:3201); resolves
 * to { url, close }. */
function start(origin, portalUrl, tlsDir) {
  const at = new URL(origin);
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>Operator</title></head>
<body style="margin:0"><h1 style="font:16px sans-serif;margin:8px">The operator's page</h1>
<iframe id="portal" src="${portalUrl}" style="width:100%;height:900px;border:0"></iframe></body></html>`;
  const handler = (req, res) => {
    if (req.url.split('?')[0] !== '/host.html') {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not here');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(html);
  };
  const server = at.protocol === 'https:' ? https.createServer(certificate(tlsDir), handler) : http.createServer(handler);
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(Number(at.port), at.hostname, () => resolve({
      url: `${at.origin}/host.html`,
      close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
    }));
  });
}

module.exports = { start };
