// Phones: a resident on a phone (touch, mobile user agent, 360x780 at scale 3) with
// Chromium's virtual WebAuthn authenticator (DevTools protocol: internal transport,
// resident keys, user verification) logs in with a virtual card, adds the device, logs
// out and logs in with the passkey; a passkey session must confirm the card before it
// may add a device; a computer shows a QR code and a number, the phone opens its link
// and picks the number, and the computer is logged in (a wrong number ends the code);
// a computer's card session adds a phone the same way (the phone makes its passkey and
// is logged in); a revoked card ends the passkey's session and refuses its next login.
// The thin client: a valid manifest, and a service worker whose caches never hold an /api/ answer.
import path from 'node:path';
import { execFileSync } from 'node:child_process';

function expect(cond, what) {
  if (!cond) throw new Error(what);
}

const PHONE = {
  locale: 'ja-JP',
  width: 360,
  height: 780,
  deviceScaleFactor: 3,
  isMobile: true,
  hasTouch: true,
  userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) '
    + 'Chrome/120.0.0.0 Mobile Safari/537.36',
};

// The phone's platform authenticator: internal, with resident keys and verification.
async function authenticator(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, authenticatorId };
}

async function cardLogin(page, card) {
  await page.goto('/#/login');
  await page.waitForSelector(`#login-demo-cards button[data-card="${card}"]`);
  await page.tap(`#login-demo-cards button[data-card="${card}"]`);
  await page.waitForSelector('body[data-session="in"]');
}

async function sessionOf(page) {
  const res = await page.request.get('/api/v1/me/session');
  return res.status() === 200 ? res.json() : { status: res.status(), ...(await res.json()) };
}

async function addDevice(page, name) {
  await page.goto('/#/devices');
  await page.waitForSelector('[data-view="devices"][aria-busy="false"]');
  await page.fill('#devices-name', name);
  await page.tap('#devices-add-button');
}

async function passkeyLogin(page) {
  await page.goto('/#/login');
  await page.waitForSelector('#login-passkey:not([hidden])');
  await page.tap('#login-passkey-button');
  await page.waitForSelector('body[data-session="in"]');
}

async function logout(page) {
  await page.tap('#logout');
  await page.waitForSelector('body[data-session="out"]');
}

function sql(statement) {
  return execFileSync('psql', [process.env.MADOTEST_DB, '-qAtc', statement], { encoding: 'utf8' }).trim();
}

// Every target a tap lands on is at least 44 px each way, and nothing is wider than the screen.
async function fitsPhone(page, where) {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width <= 360, `${where} is ${width} px wide on a 360 px screen`);
  const small = await page.evaluate(() => [...document.querySelectorAll('main button, main a.button, main input.field')]
    .filter((e) => e.offsetParent !== null)
    .map((e) => [e.id || e.textContent.trim(), e.getBoundingClientRect()])
    .filter(([, r]) => r.height < 44 || r.width < 44)
    .map(([n, r]) => `${n} ${Math.round(r.width)}x${Math.round(r.height)}`));
  expect(small.length === 0, `${where}: touch targets under 44 px: ${small.join(', ')}`);
}

export const checks = [
  {
    name: 'a phone logs in with a card, adds the device, logs out, logs in with the passkey',
    async run({ open, artifacts }) {
      const page = await open(PHONE);
      const { cdp, authenticatorId } = await authenticator(page);
      await cardLogin(page, 'demo-ec');
      expect((await sessionOf(page)).card === true, 'a card session does not say the card was used');
      await addDevice(page, 'Pixel');
      await page.waitForSelector('#devices-list li[data-device]');
      expect((await page.textContent('#devices-list')).includes('Pixel'), 'the device is not listed');
      await fitsPhone(page, 'my devices');
      await page.screenshot({ path: path.join(artifacts, 'devices-ja-phone.png'), fullPage: true });
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      expect(credentials.length === 1 && credentials[0].isResidentCredential, 'no resident passkey on the device');

      await logout(page);
      await passkeyLogin(page);
      const s = await sessionOf(page);
      expect(s.method === 'passkey' && s.card === false, `the session is ${JSON.stringify(s)}`);
      await page.goto('/#/logins');
      await page.waitForSelector('#logins-body tr[data-event="login"]');
      expect((await page.textContent('#logins-body')).includes('パスキー'), 'the history does not name the passkey');

      // Adding another device from this session needs the card: the page asks, the card
      // is confirmed in the session, and then the server lets it through.
      await page.goto('/#/devices');
      await page.waitForSelector('[data-view="devices"][aria-busy="false"]');
      await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
      await authenticator(page);
      await page.fill('#devices-name', 'Tablet');
      await page.tap('#devices-add-button');
      await page.waitForSelector('#step-up[open] button[data-card="demo-ec"]');
      await page.tap('#step-up button[data-card="demo-ec"]');
      await page.waitForFunction(() => document.querySelectorAll('#devices-list li[data-device]').length === 2);
      expect((await sessionOf(page)).card === true, 'the step-up did not record the card');
      await page.screenshot({ path: path.join(artifacts, 'devices-step-up-ja-phone.png'), fullPage: true });
    },
  },
  {
    name: 'a computer logs in by QR code: the phone picks the number; a wrong number ends the code',
    async run({ open, artifacts }) {
      const phone = await open(PHONE);
      await cardLogin(phone, 'demo-rsa');
      const computer = await open({ locale: 'en-US', width: 1280, height: 800 });

      // A wrong number: the code ends on both sides.
      await computer.goto('/#/login');
      await computer.click('#login-qr-button');
      await computer.waitForSelector('#qr-box:not([hidden]) #qr-image svg');
      let number = Number(await computer.textContent('#qr-number'));
      let link = await computer.textContent('#qr-link');
      await phone.goto(link);
      await phone.waitForSelector('#qr-choices button');
      const wrong = await phone.$$eval('#qr-choices button', (bs, n) =>
        bs.map((b) => Number(b.dataset.number)).find((x) => x !== n), number);
      await phone.tap(`#qr-choices button[data-number="${wrong}"]`);
      await phone.waitForSelector('#qr-answer-message:not([hidden])');
      await computer.waitForSelector('#qr-box[data-state="ended"]');
      expect(await computer.isVisible('#qr-message'), 'the computer does not say the code ended');
      expect((await sessionOf(computer)).status === 401, 'a wrong number logged the computer in');

      // The right number: the computer is logged in, as the phone's person.
      await computer.click('#login-qr-button');
      await computer.waitForSelector('#qr-box[data-state="waiting"] #qr-image svg');
      number = Number(await computer.textContent('#qr-number'));
      link = await computer.textContent('#qr-link');
      const code = (await computer.textContent('#qr-code')).replace(/-/g, '');
      expect(link.endsWith(code), 'the text code is not the QR code\'s');
      await computer.screenshot({ path: path.join(artifacts, 'qr-computer-en.png'), fullPage: true });
      await phone.goto(link);
      await phone.waitForSelector(`#qr-choices button[data-number="${number}"]`);
      await fitsPhone(phone, 'the number check');
      await phone.screenshot({ path: path.join(artifacts, 'qr-phone-ja.png'), fullPage: true });
      await phone.tap(`#qr-choices button[data-number="${number}"]`);
      await phone.waitForSelector('#qr-answer-message.ok');
      await computer.waitForSelector('body[data-session="in"]');
      const s = await sessionOf(computer);
      expect(s.method === 'cross-device' && s.channel === 'self', `the computer's session is ${JSON.stringify(s)}`);
      await phone.context().close();
    },
  },
  {
    name: 'a computer with a card session adds a phone: the phone picks the number, makes its passkey and is logged in',
    async run({ open, artifacts }) {
      const computer = await open({ locale: 'en-US', width: 1280, height: 800 });
      await computer.goto('/#/login');
      await computer.waitForSelector('#login-demo-cards button[data-card="demo-ec"]');
      await computer.click('#login-demo-cards button[data-card="demo-ec"]');
      await computer.waitForSelector('body[data-session="in"]');
      await computer.goto('/#/devices');
      await computer.waitForSelector('[data-view="devices"][aria-busy="false"]');
      const before = await computer.$$eval('#devices-list li[data-device]', (l) => l.length);
      await computer.click('#devices-phone-button');
      await computer.waitForSelector('#phone-box:not([hidden]) #phone-image svg');
      const number = Number(await computer.textContent('#phone-number'));
      const link = await computer.textContent('#phone-link');
      expect(link.includes('#/add-phone?c='), `the link is ${link}`);

      const phone = await open(PHONE);
      const { cdp, authenticatorId } = await authenticator(phone);
      await phone.goto(link);
      await phone.waitForSelector(`#add-phone-choices button[data-number="${number}"]`);
      await fitsPhone(phone, 'adding a phone');
      await phone.screenshot({ path: path.join(artifacts, 'add-phone-ja.png'), fullPage: true });
      await phone.tap(`#add-phone-choices button[data-number="${number}"]`);
      await phone.waitForSelector('body[data-session="in"]');
      const s = await sessionOf(phone);
      expect(s.method === 'passkey', `the phone's session is ${JSON.stringify(s)}`);
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      expect(credentials.length === 1, 'no passkey on the phone');

      // The computer sees the new device by itself (it polls the list).
      await computer.waitForFunction((n) => document.querySelectorAll('#devices-list li[data-device]').length > n,
        before, { timeout: 20000 });
      expect(await computer.isHidden('#phone-box'), 'the code is still shown after the phone was added');
      await phone.context().close();
    },
  },
  {
    name: 'revoking the card ends the passkey session and refuses its next login',
    async run({ open }) {
      const page = await open(PHONE);
      await authenticator(page);
      await cardLogin(page, 'demo-rsa');
      await addDevice(page, 'Phone');
      await page.waitForSelector('#devices-list li[data-device]');
      await logout(page);
      await passkeyLogin(page);
      expect((await sessionOf(page)).method === 'passkey', 'not a passkey session');
      // The card revoked, as the revocation check records it.
      sql("UPDATE portal.card_bindings b SET revoked_at = now() FROM portal.passkeys k"
        + " WHERE k.binding_id = b.id AND k.name = 'Phone'");
      try {
        expect((await sessionOf(page)).type === 'urn:mado:problem:card-revoked',
          'the passkey session outlives its card');
        await page.goto('/#/login');
        await page.waitForSelector('#login-passkey:not([hidden])');
        await page.tap('#login-passkey-button');
        await page.waitForSelector('#login-error:not([hidden])');
        expect(await page.getAttribute('#login-error', 'data-type') === 'card-revoked',
          'the login with a revoked card was not refused as such');
      } finally {
        // The demo card serves the other checks.
        sql("UPDATE portal.card_bindings b SET revoked_at = NULL FROM portal.passkeys k"
          + " WHERE k.binding_id = b.id AND k.name = 'Phone'");
      }
    },
  },
  {
    name: 'the manifest is valid and the service worker never stores an /api/ answer',
    async run({ open, base }) {
      const page = await open({ locale: 'ja-JP', width: 360, height: 780 });
      await page.goto('/');
      const manifest = await (await page.request.get('/manifest.webmanifest')).json();
      expect(manifest.name && manifest.short_name && manifest.start_url && manifest.display === 'standalone',
        'the manifest lacks a name, start_url or display');
      for (const size of ['192x192', '512x512']) {
        const icon = manifest.icons.find((i) => i.sizes === size && i.type === 'image/png');
        expect(icon, `no ${size} PNG icon`);
        const res = await page.request.get(icon.src);
        expect(res.status() === 200 && res.headers()['content-type'].startsWith('image/png'),
          `icon ${icon.src} answers ${res.status()}`);
      }
      const href = await page.getAttribute('link[rel="manifest"]', 'href');
      expect(new URL(href, base).pathname === '/manifest.webmanifest', 'the page does not link the manifest');
      await page.evaluate(() => navigator.serviceWorker.ready);
      await page.reload();
      await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
      // API answers pass through the worker while it controls the page.
      const statuses = [];
      for (const u of ['/api/v1/about', '/api/v1/me/session', '/api/v1/demo/cards'])
        statuses.push(await page.evaluate(async (x) => { try { return (await fetch(x)).status; } catch (e) { return `${x}: ${e.message}`; } }, u));
      expect(statuses[0] === 200 && statuses[1] === 401, `the API answered ${statuses}`);
      const cached = await page.evaluate(async () => {
        const urls = [];
        for (const k of await caches.keys())
          for (const r of await (await caches.open(k)).keys()) urls.push(new URL(r.url).pathname);
        return urls;
      });
      expect(cached.includes('/') && cached.includes('/js/app.js'), `the shell is not cached: ${cached}`);
      expect(!cached.some((u) => u.startsWith('/api/')), `an API answer is cached: ${cached.filter((u) => u.startsWith('/api/'))}`);
      // Offline, the shell still opens and says so.
      await page.context().setOffline(true);
      await page.goto('/#/mydata').catch(() => {});
      await page.reload();
      // (The status line says so; the offline view, when the browser knows it is offline.)
      await page.waitForSelector('[data-view="offline"]:not([hidden]), #status[data-state="status.offline"]',
        { state: 'attached' })
        .catch(async () => { throw new Error(`offline: the page shows ${await page.evaluate(() => location.hash + ' ' + document.body.dataset.session + ' ' + document.getElementById('status').dataset.state)}`); });
      await page.context().setOffline(false);
    },
  },
];
