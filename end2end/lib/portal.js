// What the Node-driven suites share (end2end/faults, end2end/deploy): a real SMTP server in
// the test's process, and a browser's session driven by hand over HTTP (cookie, CSRF token,
// sign-in with the code read from that SMTP server).
const assert = require('node:assert/strict');
const { SMTPServer } = require('smtp-server');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A real SMTP server on 127.0.0.1:`port`, stopped and started at will; keeps every message. */
class Catcher {
  constructor(port) {
    this.port = port;
    this.messages = []; // { to, raw }
    this.server = null;
  }
  async start() {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      // A permanent refusal for the addresses that ask for one.
      onRcptTo(address, _session, cb) {
        if (address.address.startsWith('refuse')) {
          const err = new Error('mailbox unavailable: no such user here');
          err.responseCode = 550;
          return cb(err);
        }
        cb();
      },
      onData: (stream, session, cb) => {
        let raw = '';
        stream.on('data', (c) => (raw += c));
        stream.on('end', () => {
          for (const r of session.envelope.rcptTo) this.messages.push({ to: r.address, raw });
          cb();
        });
      },
    });
    await new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', resolve);
    });
  }
  async stop() {
    if (!this.server) return;
    await new Promise((r) => this.server.close(r));
    this.server = null;
  }
  to(address) {
    return this.messages.filter((m) => m.to === address);
  }
}
function cookieFrom(res) {
  const set = res.headers.getSetCookie?.() || [];
  for (const c of set) {
    const m = /^(__Host-portal_session=[^;]*)/.exec(c);
    if (m) return m[1];
  }
  return null;
}

/**
 * A browser's session by hand. `baseOf(target)` turns what the calls name (an instance, a
 * URL) into the base URL; `origin` is the portal's public URL (the Origin a form post has);
 * codes are read from `catcher`.
 */
class Visitor {
  constructor({ baseOf = (t) => t, origin, catcher }) {
    this.baseOf = baseOf;
    this.origin = origin;
    this.catcher = catcher;
    this.cookie = '';
    this.csrf = '';
  }
  headers(extra = {}) {
    return { cookie: this.cookie, origin: this.origin, 'x-csrf-token': this.csrf, ...extra };
  }
  async refreshCsrf(inst) {
    const r = await fetch(`${this.baseOf(inst)}/api/session`, { headers: { cookie: this.cookie } });
    this.csrf = (await r.json()).csrf;
  }
  async post(inst, fn, form, { timeout = 15000 } = {}) {
    return fetch(`${this.baseOf(inst)}/api/${fn}`, {
      method: 'POST',
      headers: this.headers({ 'content-type': 'application/x-www-form-urlencoded' }),
      body: new URLSearchParams(form).toString(),
      signal: AbortSignal.timeout(timeout),
    });
  }
  async signIn(inst, email) {
    const page = await fetch(`${this.baseOf(inst)}/sign-in`);
    this.cookie = cookieFrom(page);
    await this.refreshCsrf(inst);
    const since = this.catcher.to(email).length;
    const asked = await this.post(inst, 'request_code', { email });
    assert.equal(asked.status, 200, 'request_code');
    let code = null;
    for (let i = 0; i < 100 && !code; i++) {
      const mail = this.catcher.to(email)[since];
      code = mail && /(\d{3} \d{3})/.exec(mail.raw)?.[1];
      if (!code) await sleep(100);
    }
    assert.ok(code, `a code mail to ${email}`);
    const verified = await this.post(inst, 'verify_code', { code, next: '/' });
    assert.equal(verified.status, 200, 'verify_code');
    this.cookie = cookieFrom(verified);
    await this.refreshCsrf(inst);
  }
}


module.exports = { Catcher, Visitor, cookieFrom, sleep };
