// Logging in with the demo's virtual cards, the login history, logout, and the page's
// explanation of a refused card.
import path from 'node:path';
import { execFileSync } from 'node:child_process';

function expect(cond, what) {
  if (!cond) throw new Error(what);
}

async function loginWith(page, card) {
  await page.goto('/#/login');
  await page.waitForSelector(`#login-demo-cards button[data-card="${card}"]`);
  await page.click(`#login-demo-cards button[data-card="${card}"]`);
}

export const checks = [
  {
    name: 'a card-reading app on the same device logs the page in (mado-card plays the app)',
    async run({ open }) {
      const page = await open({ locale: 'en-US', width: 360 });
      await page.goto('/#/login');
      await page.click('#login-app-button');
      await page.waitForSelector('#login-app-link:visible');
      const link = await page.getAttribute('#login-app-link', 'href');
      expect(link.startsWith('mado-card://login?'), `the app link is ${link}`);
      // The app reads the card and posts its token for this browser's hand-off...
      const port = new URL(process.env.MADOTEST_URL).port;
      execFileSync(process.env.MADOTEST_CARD_TOOL, ['handoff', process.env.MADOTEST_CARD_DIR,
        'demo-ec', link, '--cacert', process.env.MADOTEST_CA, '--connect', `127.0.0.1:${port}`],
      { stdio: 'ignore' });
      // ...and sends the person back to the page, which finishes the login.
      const back = new URL(link).searchParams.get('return');
      expect(back.endsWith('/#/login?handoff=1'), `the app returns to ${back}`);
      await page.goto('/#/login?handoff=1');
      await page.waitForSelector('body[data-session="in"]');
      await page.waitForFunction(() => location.hash === '#/');
      const res = await page.request.get('/api/v1/me/logins');
      expect(res.status() === 200, `after the app's login /api/v1/me/logins answered ${res.status()}`);
    },
  },
  {
    name: 'a private page sends a visitor to the login page',
    async run({ open }) {
      const page = await open({ locale: 'ja-JP' });
      await page.goto('/#/logins');
      await page.waitForFunction(() => location.hash === '#/login');
      await page.waitForSelector('[data-view="login"]:not([hidden])');
    },
  },
  {
    name: 'log in with a virtual card, see the login in the history, log out',
    async run({ open, artifacts }) {
      const page = await open({ locale: 'ja-JP', width: 360 });
      await loginWith(page, 'demo-rsa');
      await page.waitForSelector('body[data-session="in"]');
      await page.waitForFunction(() => location.hash === '#/');
      expect(await page.isVisible('#home-welcome'), 'the home page does not greet the resident');
      await page.screenshot({ path: path.join(artifacts, 'logged-in-ja-360.png'), fullPage: true });

      await page.click('#home-welcome a[href="#/logins"]');
      await page.waitForSelector('#logins-body tr[data-event="login"]');
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(width <= 360, `the history is ${width} px wide on a 360 px screen`);
      await page.screenshot({ path: path.join(artifacts, 'logins-ja-360.png'), fullPage: true });

      await page.click('#logout');
      await page.waitForSelector('body[data-session="out"]');
      // The server ended the session: the history is no longer reachable.
      const res = await page.request.get('/api/v1/me/logins');
      expect(res.status() === 401, `after logout /api/v1/me/logins answered ${res.status()}`);
    },
  },
  {
    name: 'an EC virtual card logs in too',
    async run({ open }) {
      const page = await open({ locale: 'en-US' });
      await loginWith(page, 'demo-ec');
      await page.waitForSelector('body[data-session="in"]');
    },
  },
  {
    name: 'a revoked card is refused with its own message, in both languages',
    async run({ open, artifacts }) {
      const page = await open({ locale: 'ja-JP', width: 360 });
      await loginWith(page, 'demo-revoked');
      await page.waitForSelector('#login-error[data-type="card-revoked"]:not([hidden])');
      const ja = await page.textContent('#login-error');
      expect(ja.includes('失効'), `the Japanese message is "${ja}"`);
      await page.screenshot({ path: path.join(artifacts, 'revoked-ja-360.png'), fullPage: true });
      await page.click('button[data-lang="en"]');
      await loginWith(page, 'demo-revoked');
      await page.waitForFunction(() => document.querySelector('#login-error').textContent.includes('revoked'));
      expect(await page.isHidden('#logout'), 'a refused card must not log anyone in');
    },
  },
  {
    name: 'an unregistered card is told so',
    async run({ open }) {
      const page = await open({ locale: 'en-US' });
      await loginWith(page, 'demo-unregistered');
      await page.waitForSelector('#login-error[data-type="card-not-registered"]:not([hidden])');
    },
  },
  {
    name: 'the TLS login page explains an expired certificate it was sent back with',
    async run({ open }) {
      const page = await open({ locale: 'en-US' });
      await page.goto('/#/login?error=card-expired');
      await page.waitForSelector('#login-error[data-type="card-expired"]:not([hidden])');
      const text = await page.textContent('#login-error');
      expect(text.includes('expired'), `message: ${text}`);
    },
  },
];
