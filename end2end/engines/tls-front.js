// An HTTPS front for the portal, for WebKitGTK only. The portal's session cookie is
// `__Host-portal_session=…; Secure; HttpOnly; SameSite=None; Partitioned`
// (app/src/auth/mod.rs), and WebKitGTK's cookie jar (libsoup 3) refuses every cookie marked
// Secure that arrives over plain http — even from 127.0.0.1 or localhost, which Chromium and
// Firefox treat as secure. Over http the sign-in therefore never sticks in WebKit: the code is
// accepted, the cookie dropped, and the next page is signed out. In production the portal is
// https, so the flows reach it the same way here: TLS on a loopback port (a throwaway
// self-signed certificate, made with openssl; the WebDriver session accepts it), every
// request passed on unchanged to the portal's http port, with X-Forwarded-For/-Proto.
const fs = require('fs');
const path = require('path');
const http = require('http');
const https = require('https');
const { execFileSync } = require('child_process');

function certificate(dir) {
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  if (!fs.existsSync(key) || !fs.existsSync(cert)) {
    fs.mkdirSync(dir, { recursive: true });
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1,IP:127.0.0.2,DNS:localhost', '-keyout', key, '-out', cert,
    ], { stdio: 'ignore' });
  }
  return { key: fs.readFileSync(key), cert: fs.readFileSync(cert) };
}

/** Starts the front on a free loopback port; resolves to { url, close }. */
function start(target, dir) {
  const to = new URL(target);
  const server = https.createServer(certificate(dir), (req, res) => {
    const headers = { ...req.headers, 'x-forwarded-proto': 'https', 'x-forwarded-for': '127.0.0.1' };
    const upstream = http.request(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers },
      (up) => {
        res.writeHead(up.statusCode, up.statusMessage, up.rawHeaders);
        up.pipe(res);
      },
    );
    upstream.on('error', (e) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`tls front: ${e.message}`);
    });
    req.pipe(upstream);
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({
        url: `https://127.0.0.1:${port}/`,
        close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
      });
    });
  });
}

module.exports = { start, certificate };
