// Posts sessions through the portal's signed ingestion API, as the operator's back office
// does (the v2 signature of app/src/auth/ingest.rs: HMAC over "v2\nMETHOD\npath\ntimestamp\n
// sha256(body)", with the test-only key end2end/serve.sh configures).
const crypto = require('crypto');
const { expect } = require('@playwright/test');

const INGEST_SECRET = 'browser tests only and not a secret 32+ chars'; // end2end/serve.sh

async function postSessions(baseURL, sessions) {
  const body = JSON.stringify({ sessions });
  const ts = String(Math.floor(Date.now() / 1000));
  const path = '/ingest/v1/sessions';
  const bodyHash = crypto.createHash('sha256').update(body).digest('hex');
  const canonical = ['v2', 'POST', path, ts, bodyHash].join('\n');
  const signature = 'v2=' + crypto.createHmac('sha256', INGEST_SECRET).update(canonical).digest('hex');
  const res = await fetch(`${baseURL}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json', 'x-portal-key': 'e2e',
      'x-portal-timestamp': ts, 'x-portal-signature': signature,
    },
    body,
  });
  expect(res.status, await res.text()).toBe(200);
}

module.exports = { postSessions };
