// Proxy mandates end to end: a resident gives a mandate for two themes, the proxy (another
// resident, their own card) accepts it with the code and acts for the giver, sees only
// those themes with the banner on every screen, the giver sees what the proxy did and
// revokes, and the proxy's next request is refused; the proxy goes back to their own.
import path from 'node:path';

function expect(cond, what) {
  if (!cond) throw new Error(what);
}

async function login(page, card) {
  await page.goto('/#/login');
  await page.waitForSelector(`#login-demo-cards button[data-card="${card}"]`);
  await page.click(`#login-demo-cards button[data-card="${card}"]`);
  await page.waitForSelector('body[data-session="in"]');
}

async function go(page, route) {
  await page.evaluate((h) => { location.hash = h; }, `#/${route}`);
  await page.waitForSelector(`[data-view="${route}"][aria-busy="false"]:not([hidden])`);
}

export const checks = [
  {
    name: 'give, accept, act for, revoke, refused, back to one\'s own (360 px, ja)',
    async run({ open, artifacts }) {
      const giver = await open({ locale: 'ja-JP', width: 360 });
      await login(giver, 'demo-ec');
      await go(giver, 'mandates');
      await giver.check('#mandate-themes input[value="access-log"]');
      await giver.check('#mandate-themes input[value="notices"]');
      await giver.fill('#mandate-label', 'Keiko');
      await giver.click('#mandate-give-send');
      await giver.waitForSelector('#mandate-code-box:not([hidden])');
      const code = (await giver.textContent('#mandate-code')).trim();
      expect(/^[A-Za-z0-9_-]{43}$/.test(code), `the code reads "${code}"`);
      await giver.waitForSelector('#mandates-given li[data-state="pending"]');

      const proxy = await open({ locale: 'ja-JP', width: 360 });
      await login(proxy, 'demo-rsa');
      await go(proxy, 'mandates');
      await proxy.fill('#accept-code', code);
      await proxy.fill('#accept-label', 'Hanako');
      await proxy.click('#accept-send');
      await proxy.waitForSelector('#mandates-received li[data-state="active"] button[data-act]');
      // The same code again: refused.
      const again = await proxy.request.post('/api/v1/proxy/accept', {
        data: { code, label: 'again' },
        headers: { Origin: new URL(proxy.url()).origin,
          'X-CSRF-Token': (await (await proxy.request.get('/api/v1/me/session')).json()).csrf_token },
      });
      expect(again.status() === 401, `the used code answered ${again.status()}`);

      // Acting for the giver: the banner names them, only the two themes' pages.
      await proxy.click('#mandates-received li[data-state="active"] button[data-act]');
      await proxy.waitForSelector('body[data-acting="true"] #acting-banner:not([hidden])');
      const banner = await proxy.textContent('#acting-title');
      expect(banner.includes('Hanako'), `the banner reads "${banner}"`);
      const s = await (await proxy.request.get('/api/v1/me/session')).json();
      expect(s.channel === 'proxy', `the session's channel is ${s.channel}`);
      expect(await proxy.isHidden('.nav a[data-route="mydata"]'), 'My information is offered');
      expect(await proxy.isHidden('.nav a[data-route="mandates"]'), 'the mandate pages are offered');
      await proxy.click('.nav a[data-route="access-log"]');
      await proxy.waitForSelector('[data-view="access-log"][aria-busy="false"]:not([hidden])');
      await proxy.waitForSelector('#access-list li');
      expect(await proxy.isVisible('#acting-banner'), 'the banner is gone on the access log');
      const mine = await proxy.request.get('/api/v1/me/data');
      expect(mine.status() === 403, `My information answered ${mine.status()}`);
      const width = await proxy.evaluate(() => document.documentElement.scrollWidth);
      expect(width <= 360, `the page is ${width} px wide on a 360 px screen`);
      await proxy.screenshot({ path: path.join(artifacts, 'proxy-acting-ja-360.png'), fullPage: true });

      // The giver sees what the proxy did, and revokes.
      await giver.reload();
      await giver.waitForSelector('[data-view="mandates"][aria-busy="false"]:not([hidden])');
      await giver.click('#mandates-given li[data-state="active"] button[data-actions]');
      await giver.waitForSelector('#mandates-given ol[data-actions] li');
      const did = await giver.textContent('#mandates-given ol[data-actions]');
      expect(did.includes('アクセス記録を見る'), `what the proxy did reads "${did}"`);
      await giver.click('#mandates-given li[data-state="active"] button[data-revoke]');
      await giver.waitForSelector('#mandates-given li[data-state="revoked"]');

      // The proxy's very next request is refused; the way back remains.
      await proxy.click('.nav a[data-route="notices"]');
      await proxy.waitForSelector('#acting-ended:not([hidden])');
      const refused = await proxy.request.get('/api/v1/me/notices');
      expect(refused.status() === 403, `after the revocation the notices answered ${refused.status()}`);
      await proxy.screenshot({ path: path.join(artifacts, 'proxy-refused-ja-360.png'), fullPage: true });
      await proxy.click('#acting-back');
      await proxy.waitForSelector('body[data-acting="false"][data-session="in"]');
      await proxy.waitForSelector('#mandates-received li[data-state="revoked"]');
      const own = await (await proxy.request.get('/api/v1/me/session')).json();
      expect(own.channel === 'self', `back in a session of channel ${own.channel}`);
      await giver.context().close();
    },
  },
];
