// Reads mail from the real SMTP catcher (maildev 3.x REST API) that the tests start.
// MAILDEV_URL: the cross-engine run (scripts/test-engines.sh) has a catcher of its own.
const MAILDEV = process.env.MAILDEV_URL || 'http://127.0.0.1:1080';

async function messagesTo(address) {
  const res = await fetch(`${MAILDEV}/api/email?to.address=${encodeURIComponent(address)}`);
  if (!res.ok) throw new Error(`maildev answered ${res.status}`);
  return res.json();
}

/** Waits for a mail to `address` that arrived after `sinceMs` (and passes `accept`); returns it. */
async function waitForMail(address, sinceMs, timeoutMs = 15000, accept = () => true) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const mails = (await messagesTo(address)).filter(
      (m) => new Date(m.time || m.date).getTime() >= sinceMs - 1000 && accept(m),
    );
    if (mails.length) return mails[mails.length - 1];
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no mail to ${address} within ${timeoutMs} ms`);
}

/** The sign-in code (`123 456`) of the newest code mail to `address` since `sinceMs`. */
async function codeFor(address, sinceMs) {
  // Only a mail that carries a code: the second of slack above also lets in an invitation
  // that arrived just before the code was asked for (seen in a fast CI run).
  const mail = await waitForMail(address, sinceMs, 15000, (m) => /\d{3} \d{3}/.test(m.text || ''));
  const m = /(\d{3} \d{3})/.exec(mail.text);
  if (!m) throw new Error(`no code in the mail: ${mail.subject}`);
  return m[1];
}

module.exports = { messagesTo, waitForMail, codeFor };
