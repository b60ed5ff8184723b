// WebKit: Debian's WebKitGTK through its W3C WebDriver server (WebKitWebDriver, package
// webkit2gtk-driver) and MiniBrowser (package libwebkit2gtk-4.1-0), driven by
// selenium-webdriver as a plain remote end: no driver is downloaded, selenium-manager never
// runs (it is only consulted when no server URL is given). MiniBrowser has no headless mode,
// so the driver runs under `xvfb-run -a` unless a display is already there.
const fs = require('fs');
const net = require('net');
const path = require('path');
const { spawn } = require('child_process');
const { Builder, By } = require('selenium-webdriver');
const { Page, retrying, waitUntil } = require('./page');

const MINIBROWSER = process.env.MINIBROWSER_BIN || '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
const DRIVER = process.env.WEBKIT_DRIVER_BIN || '/usr/bin/WebKitWebDriver';

class WebKitPage extends Page {
  constructor(baseURL, driver) {
    super(baseURL);
    this.driver = driver;
    this.log = [];
  }

  async goto(p) {
    await this.driver.get(new URL(p, this.baseURL).href);
  }

  async find(selector) {
    return waitUntil(async () => {
      const found = await this.driver.findElements(By.css(selector));
      return found[0];
    }, selector, 5_000);
  }

  async fill(selector, text) {
    await retrying(async () => {
      const el = await this.find(selector);
      await el.clear();
      await el.sendKeys(text);
      const now = await el.getAttribute('value');
      if (now !== text) throw new Error(`the field holds ${JSON.stringify(now)}`);
    }, `fill ${selector}`);
  }

  async rawClick(selector) {
    await retrying(async () => {
      const el = await this.find(selector);
      await el.click();
    }, `click ${selector}`);
  }

  async select(selector, value) {
    await retrying(async () => {
      // WebDriver's element click on an <option> selects it and fires input and change.
      const option = await this.find(`${selector} option[value="${value}"]`);
      await option.click();
      const now = await this.value(selector);
      if (now !== value) throw new Error(`the select holds ${JSON.stringify(now)}`);
    }, `select ${value} in ${selector}`);
  }

  async evaluate(fn, ...args) {
    // W3C "execute script" awaits a returned promise, so `fn` may be async.
    const body = typeof fn === 'function' ? `return (${fn}).apply(null, arguments);` : fn;
    return this.driver.executeScript(body, ...args);
  }

  async cookies() {
    const all = await this.driver.manage().getCookies();
    return all.map((c) => ({ name: c.name, value: c.value, httpOnly: c.httpOnly }));
  }

  async screenshot(file) {
    fs.writeFileSync(file, Buffer.from(await this.driver.takeScreenshot(), 'base64'));
  }

  async enterFrame(selector) {
    await this.driver.switchTo().frame(await this.find(selector));
  }

  async leaveFrame() {
    await this.driver.switchTo().defaultContent();
  }

  async close() {
    await this.driver.quit().catch(() => {});
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** Starts WebKitWebDriver (under a virtual display when there is none); each flow gets a
 * session of its own: a fresh MiniBrowser whose automation session keeps no cookies. */
async function launch({ baseURL, port, downloadDir, tlsDir }) {
  port = port || (await freePort());
  fs.mkdirSync(downloadDir, { recursive: true });
  // Over plain http WebKitGTK drops the portal's Secure session cookie: reach it over https
  // (tls-front.js says why). ENGINES_WEBKIT_TLS=0 shows what happens without.
  let front = null;
  if (baseURL.startsWith('http:') && process.env.ENGINES_WEBKIT_TLS !== '0') {
    front = await require('./tls-front').start(baseURL, tlsDir || path.join(downloadDir, '..', 'tls'));
    baseURL = front.url;
  }
  const [cmd, args] = process.env.DISPLAY
    ? [DRIVER, [`--port=${port}`]]
    : ['xvfb-run', ['-a', '-s', '-screen 0 1280x1024x24', DRIVER, `--port=${port}`]];
  // MiniBrowser saves a download, unasked, to the XDG download folder (GLib reads it from
  // $XDG_CONFIG_HOME/user-dirs.dirs; without one, to $HOME): point it at downloadDir.
  const xdg = path.resolve(downloadDir, '..', `xdg-${path.basename(downloadDir)}`);
  fs.mkdirSync(xdg, { recursive: true });
  fs.writeFileSync(path.join(xdg, 'user-dirs.dirs'), `XDG_DOWNLOAD_DIR="${path.resolve(downloadDir)}"\n`);
  // Its own process group, so stopping it also stops Xvfb and the browsers it started.
  const child = spawn(cmd, args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, XDG_CONFIG_HOME: xdg },
  });
  const stop = () => {
    try { process.kill(-child.pid, 'SIGTERM'); } catch { /* gone */ }
    if (front) front.close();
  };
  process.on('exit', stop);
  const driverLog = [];
  child.stdout.on('data', (d) => driverLog.push(String(d)));
  child.stderr.on('data', (d) => driverLog.push(String(d)));
  let exited = null;
  child.on('exit', (code, signal) => { exited = `exited ${code ?? signal}`; });
  const server = `http://127.0.0.1:${port}`;
  await waitUntil(async () => {
    if (exited) throw new Error(`WebKitWebDriver ${exited}: ${driverLog.join('')}`);
    const res = await fetch(`${server}/status`);
    return res.ok && (await res.json()).value?.ready;
  }, `WebKitWebDriver on ${server}`, 20_000).catch((e) => { stop(); throw e; });
  let version = '?';
  const engine = {
    name: 'webkit',
    get version() { return `${version}${front ? `, through ${front.url}` : ''}`; },
    baseURL,
    downloadDir,
    driverLog,
    async newPage() {
      const driver = await new Builder()
        .usingServer(server)
        .withCapabilities({
          browserName: 'MiniBrowser',
          acceptInsecureCerts: true, // the TLS front's throwaway certificate
          'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] },
        })
        .build();
      const caps = await driver.getCapabilities();
      version = `${caps.get('browserName')} ${caps.get('browserVersion')} (WebKitGTK)`;
      await driver.manage().window().setRect({ width: 1280, height: 900 }).catch(() => {});
      await driver.manage().setTimeouts({ script: 15_000, pageLoad: 30_000 });
      return new WebKitPage(baseURL, driver);
    },
    async close() {
      stop();
    },
  };
  // One session up front: proves the driver can start MiniBrowser, and names its version.
  try {
    await (await engine.newPage()).close();
  } catch (e) {
    stop();
    throw e;
  }
  return engine;
}

module.exports = { launch };
