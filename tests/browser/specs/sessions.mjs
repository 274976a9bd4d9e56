// Cards and sessions: the resident sees their card (never its serial in full) and their
// open sessions, and ends another one; on a shared computer the page warns a minute
// before the idle time runs out, then logs out and wipes itself with no request made.
import path from 'node:path';

function expect(cond, what) {
  if (!cond) throw new Error(what);
}

async function login(page, card, { shared = false } = {}) {
  await page.goto('/#/login');
  await page.waitForSelector(`#login-demo-cards button[data-card="${card}"]`);
  if (shared) await page.check('#login-shared');
  await page.click(`#login-demo-cards button[data-card="${card}"]`);
  await page.waitForSelector('body[data-session="in"]');
}

// The id of the page's own session, as the server lists it.
async function ownSession(page) {
  const res = await page.request.get('/api/v1/me/sessions');
  expect(res.status() === 200, `/api/v1/me/sessions answered ${res.status()}`);
  const { items } = await res.json();
  const mine = items.find((s) => s.current);
  expect(mine, 'no session is marked current');
  return mine.id;
}

function seeAndEnd(width, locale) {
  return async ({ open, artifacts }) => {
    // Another browser logged in with the same card: the session to end.
    const other = await open({ locale, width });
    await login(other, 'demo-ec');
    const otherId = await ownSession(other);

    const page = await open({ locale, width });
    await login(page, 'demo-ec');
    const ownId = await ownSession(page);
    await page.click(`nav a[href="#/sessions"]`);
    await page.waitForSelector('#sessions-cards li[data-card]');
    await page.waitForSelector(`#sessions-list li[data-session="${otherId}"]`);

    // The card: its issuer and validity, and the serial only by its end.
    const card = await page.textContent('#sessions-cards li[data-card]');
    const cards = await (await page.request.get('/api/v1/me/cards')).json();
    expect(cards.items.length >= 1, 'no card is listed');
    expect(card.includes(cards.items[0].serial_end), `the card reads "${card}"`);
    expect(!JSON.stringify(cards).match(/"serial"/), 'the card list names a serial');

    // This session cannot be ended from here; the other one can.
    expect(await page.isHidden(`#sessions-list li[data-session="${ownId}"] button`),
      'this session offers to end itself');
    const width1 = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width1 <= width, `the page is ${width1} px wide on a ${width} px screen`);
    await page.screenshot({ path: path.join(artifacts, `sessions-${locale}-${width}.png`), fullPage: true });
    await page.click(`#sessions-list li[data-session="${otherId}"] button`);
    await page.waitForSelector(`#sessions-list li[data-session="${otherId}"]`, { state: 'detached' });

    // The other browser is logged out, and the history says why.
    const res = await other.request.get('/api/v1/me/session');
    expect(res.status() === 401, `the ended session still answers ${res.status()}`);
    const logins = await (await page.request.get('/api/v1/me/logins')).json();
    expect(logins.items.some((e) => e.event === 'logout' && e.reason === 'ended-by-person'),
      'no logout in the login history');
    await other.context().close();
  };
}

export const checks = [
  {
    name: 'sees the card and sessions and ends another session, 360 px',
    run: seeAndEnd(360, 'ja-JP'),
  },
  {
    name: 'sees the card and sessions and ends another session, 1280 px',
    run: seeAndEnd(1280, 'en-US'),
  },
  {
    name: 'a shared computer warns, then logs out and wipes the page after the idle time',
    async run({ open, artifacts }) {
      const page = await open({ locale: 'ja-JP', width: 360 });
      await page.clock.install();
      await login(page, 'demo-rsa', { shared: true });
      const s = await (await page.request.get('/api/v1/me/session')).json();
      expect(s.shared === true, 'the session is not marked shared');
      expect(s.idle_timeout_s === 180, `the shared idle time is ${s.idle_timeout_s}`);
      await page.click(`nav a[href="#/sessions"]`);
      await page.waitForSelector('#sessions-list li[data-current="true"]');
      const before = await page.textContent('#sessions-list');
      expect(before.includes('共用'), 'the session list does not say "shared computer"');

      // A minute before the end: the warning, and "stay logged in" keeps the session.
      await page.clock.fastForward(121 * 1000);
      await page.waitForSelector('#idle-warning[open]');
      await page.screenshot({ path: path.join(artifacts, 'idle-warning-ja-360.png') });
      const armed = await page.getAttribute('#idle-warning', 'data-armed');
      await page.click('#idle-stay');
      await page.waitForSelector('#idle-warning', { state: 'hidden' });
      // The clocks start again only once the server has answered; on a loaded machine
      // that can come after the next fast-forward, which would then pass unseen.
      await page.waitForFunction(
        (n) => Number(document.getElementById('idle-warning').dataset.armed) > n,
        Number(armed),
      );
      await page.clock.fastForward(121 * 1000);
      await page.waitForSelector('#idle-warning[open]');
      expect(await page.isVisible('body[data-session="in"]'), 'logged out before the end');

      // No answer: logged out, the page loaded anew at the login page, nothing kept.
      await page.clock.fastForward(61 * 1000);
      await page.waitForFunction(() => location.hash.startsWith('#/login'));
      await page.waitForSelector('body[data-session="out"]');
      await page.waitForSelector('#login-error[data-type="session-expired"]:not([hidden])');
      expect(await page.evaluate(() => document.getElementById('sessions-list').children.length) === 0,
        'the session list is still on the page');
      // Only the language the fresh page chose again, nothing of the resident.
      const kept = await page.evaluate(() => [...Object.keys(sessionStorage), ...Object.keys(localStorage)]);
      expect(kept.every((k) => k === 'mado.lang'), `the browser still keeps ${kept.join(', ')}`);
      const res = await page.request.get('/api/v1/me/session');
      expect(res.status() === 401, `after the idle logout the session answers ${res.status()}`);
    },
  },
];
