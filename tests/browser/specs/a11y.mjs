// Accessibility, measured: axe-core on every page of the portal in Japanese and English at
// 360 and 1280 px (no serious or critical violation), a keyboard-only journey from login to
// withdrawing a consent, and 200 % zoom without horizontal scrolling.
//
// The pages are the hash routes listed in web/js/app.js (PAGES), read from the source so a
// page added there is checked without touching this file. Routes that show one record get
// a real one: an access entry, a consent and a pending consent request of the resident's.
//
// axe is evaluated into the page through the DevTools protocol (page.evaluate with its
// source) rather than a <script> tag: the page keeps its real Content-Security-Policy
// (script-src 'self'), so the pass checks the page exactly as a resident gets it and any
// CSP violation still fails the check.
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { agencyPost } from '../agency.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const web = path.resolve(here, '../../../web');
const axeSource = readFileSync(path.resolve(here, '../node_modules/axe-core/axe.min.js'), 'utf8');

// The resident these checks act as: demo-ec, so the consents made here never meet the
// consent spec's (demo-rsa's).
const CARD = 'demo-ec';
const WIDTHS = [360, 1280];
const LANGS = ['ja', 'en'];

function expect(cond, what) {
  if (!cond) throw new Error(what);
}

// The routes and which of them need a login, from app.js's PAGES table itself: each page
// starts a line at two spaces' indent ("  name: {" or "  'name-x': {").
function appRoutes() {
  const src = readFileSync(path.join(web, 'js/app.js'), 'utf8');
  const m = src.match(/\nconst PAGES = \{\n([\s\S]*?)\n\};/);
  expect(m, 'app.js has no PAGES table');
  const routes = [];
  const priv = new Set();
  for (const part of m[1].split(/\n(?= {2}'?[a-z][\w-]*'?: \{)/)) {
    const k = part.match(/^ {2}'?([a-z][\w-]*)'?: \{/);
    expect(k, `app.js's PAGES has an entry not written "name: {": ${part.slice(0, 40)}`);
    routes.push(k[1]);
    if (/\blogin: true\b/.test(part)) priv.add(k[1]);
  }
  expect(routes.length >= 9, `app.js lists only ${routes.length} routes`);
  expect(priv.size >= 9, `app.js marks only ${priv.size} routes as needing a login`);
  return { routes, priv };
}

// A consent request from the kakeibo-app service, over Mado's mTLS listener.
const service = (pathname, body) => agencyPost('kakeibo-app', pathname, body);

async function askConsent() {
  const ask = await service('/rp/v1/consent-requests', {
    purpose: 'budget.planning', items: ['tax.income'],
    redirect_uri: 'https://kakeibo.example/callback', state: 'a11y', valid_days: 30,
    frequency: { unit: 'day', max: 10 },
  });
  expect(ask.status === 201, `the consent request answered ${ask.status}`);
  // The approve URL is the portal's "#/consent-request?id=..." page.
  return new URLSearchParams(new URL(ask.body.approve_url).hash.split('?')[1]).get('id');
}

// Waits until the page has had no request in flight for a moment: views fill themselves
// from the API after the route changes.
function quiet(page) {
  let inflight = 0;
  let last = Date.now();
  const start = () => { inflight++; last = Date.now(); };
  const end = () => { inflight = Math.max(0, inflight - 1); last = Date.now(); };
  page.on('request', start);
  page.on('requestfinished', end);
  page.on('requestfailed', end);
  return async () => {
    const t0 = Date.now();
    while ((inflight > 0 || Date.now() - last < 150) && Date.now() - t0 < 10000)
      await page.waitForTimeout(50);
  };
}

async function go(page, settle, route, query = '') {
  await page.evaluate((h) => { location.hash = h; }, `#/${route}${query}`);
  await page.waitForSelector(`[data-view="${route}"]:not([hidden])`);
  await settle();
}

async function setLang(page, lang) {
  await page.click(`button[data-lang="${lang}"]`);
  await page.waitForFunction((l) => document.documentElement.lang === l, lang);
}

async function loginByClick(page, settle) {
  await page.waitForSelector(`#login-demo-cards button[data-card="${CARD}"]`);
  await page.click(`#login-demo-cards button[data-card="${CARD}"]`);
  await page.waitForSelector('body[data-session="in"]');
  await settle();
}

// The kakeibo service's callback, as the browser would reach it.
async function fakeService(page) {
  await page.route('https://kakeibo.example/**', (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: '<p>kakeibo</p>' }));
}

async function approve(page, settle, id) {
  await go(page, settle, 'consent-request', `?id=${id}`);
  await page.click('#request-approve');
  await page.waitForFunction(() => window.location.hostname === 'kakeibo.example');
}

// axe on the page as it stands; the serious and critical violations, one line each.
async function axe(page, where) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map((n) => `${n.target.join(' ')}${n.failureSummary ? ` (${n.failureSummary.replace(/\s+/g, ' ').slice(0, 160)})` : ''}`),
    }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${where}: ${v.impact} ${v.id} — ${v.help}: ${v.nodes.slice(0, 4).join('; ')}`);
}

function report(found) {
  if (found.length === 0) return;
  for (const f of found) console.log(`# ${f}`);
  throw new Error(`${found.length} serious or critical accessibility violations (listed above)`);
}

// An access entry that can be disputed (not sealed, not the resident's own read).
async function anEntry(page) {
  const log = await (await page.request.get('/api/v1/me/access-log?limit=50')).json();
  const open = (log.items || []).find((e) => e.outcome !== 'sealed' && !e.sealed
    && e.channel !== 'self');
  expect(open, 'the resident has no access entry that is not sealed');
  return open.id;
}

// The record-showing routes get a real record each; any other route is shown bare.
async function records(page, settle) {
  const entry = await anEntry(page);
  // One consent approved (for the consent page), one request left pending.
  await fakeService(page);
  const approved = await askConsent();
  await approve(page, settle, approved);
  await page.goto('/#/consents');
  await page.waitForSelector('#consents-list li.entry');
  await settle();
  const consents = await (await page.request.get('/api/v1/me/consents')).json();
  const consent = consents.consents[0].id;
  const pending = await askConsent();
  return { 'access-entry': `?id=${entry}`, consent: `?id=${consent}`, 'consent-request': `?id=${pending}` };
}

// The pages a visitor sees: every route that needs no login.
async function loggedOutPages(page, settle, where, visit) {
  const { routes, priv } = appRoutes();
  await page.goto('/');
  await page.waitForSelector('#status[data-state="status.ok"]');
  await settle();
  for (const route of routes.filter((r) => !priv.has(r))) {
    await go(page, settle, route);
    if (route === 'login') await page.waitForSelector('#login-demo-cards button');
    await visit(`${where} ${route} (logged out)`);
  }
}

export const checks = [
  {
    name: 'axe: the public registers page and an entry\'s history, in Japanese and English at 360 and 1280 px',
    async run({ open }) {
      const page = await open({ locale: 'ja-JP', width: 360, height: 740 });
      const found = [];
      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: 740 });
        for (const lang of LANGS) {
          await page.goto('/registers.html');
          await setLang(page, lang);
          await page.waitForSelector('#registers-current tbody tr');
          found.push(...await axe(page, `${lang} ${width}px registers.html`));
          await page.click('#registers-current tbody tr button');
          await page.waitForSelector('#registers-history tbody tr[data-version="1"]');
          found.push(...await axe(page, `${lang} ${width}px registers.html history`));
        }
      }
      report(found);
    },
  },
  {
    name: 'axe: every page in Japanese and English at 360 and 1280 px, no serious or critical violations',
    async run({ open }) {
      const { routes } = appRoutes();
      const page = await open({ locale: 'ja-JP', width: 360, height: 740 });
      const settle = quiet(page);
      const found = [];

      // The pages a visitor sees, and the TLS login page (a page of its own).
      await page.goto('/');
      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: 740 });
        for (const lang of LANGS) {
          await page.goto('/');
          await setLang(page, lang);
          await loggedOutPages(page, settle, `${lang} ${width}px`, async (w) => found.push(...await axe(page, w)));
        }
        await page.goto('/tls-login.html');
        found.push(...await axe(page, `${width}px tls-login.html`));
      }

      // Every route, logged in.
      await page.goto('/#/login');
      await loginByClick(page, settle);
      const query = await records(page, settle);
      let visited = 0;
      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: 740 });
        for (const lang of LANGS) {
          await page.goto('/');
          await setLang(page, lang);
          await settle();
          for (const route of routes) {
            if (route === 'login') continue; // seen above, logged out
            await go(page, settle, route, query[route] || '');
            found.push(...await axe(page, `${lang} ${width}px ${route}`));
            visited++;
            if (route === 'access-entry') {
              // The dispute form, open.
              await page.click('button[data-dispute="not-recognised"]');
              await page.waitForSelector('#dispute-form:not([hidden])');
              found.push(...await axe(page, `${lang} ${width}px ${route} (dispute form)`));
              await page.click('#dispute-cancel');
            }
          }
        }
      }
      expect(visited >= (routes.length - 1) * 4, `only ${visited} pages were checked`);
      report(found);
    },
  },
  {
    name: 'keyboard only: login, access log, an entry, a dispute, consents, withdraw',
    async run({ open }) {
      // Setting up (not part of the journey): a consent of the resident's to withdraw.
      const page = await open({ locale: 'en-US', width: 1280, height: 800 });
      const settle = quiet(page);
      await fakeService(page);
      await page.goto('/#/login');
      await loginByClick(page, settle);
      await approve(page, settle, await askConsent());
      await page.goto('/');
      await page.waitForSelector('body[data-session="in"]');
      await page.click('#logout');
      await page.waitForSelector('body[data-session="out"]');
      await page.goto('/#/login');
      await page.waitForSelector(`#login-demo-cards button[data-card="${CARD}"]`);
      await settle();

      // From here on only the keyboard: Tab to each control (its focus must be visible),
      // Enter or Space to use it.
      const tabTo = async (selector, what) => {
        for (let i = 0; i < 120; i++) {
          await page.keyboard.press('Tab');
          const state = await page.evaluate((sel) => {
            const el = document.activeElement;
            if (!el || el === document.body) return { at: 'body' };
            const cs = getComputedStyle(el);
            const visible = (cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0)
              || cs.boxShadow !== 'none';
            const name = `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''} "${(el.textContent || '').trim().slice(0, 30)}"`;
            return { at: `${name} (outline ${cs.outlineStyle} ${cs.outlineWidth}, shadow ${cs.boxShadow})`, visible, match: el.matches(sel) };
          }, selector);
          if (state.at === 'body') continue;
          expect(state.visible, `${what}: the focus on ${state.at} is not visible`);
          if (state.match) return;
        }
        throw new Error(`${what}: ${selector} cannot be reached with Tab`);
      };

      await tabTo(`#login-demo-cards button[data-card="${CARD}"]`, 'login');
      await page.keyboard.press('Enter');
      await page.waitForSelector('body[data-session="in"]');
      await settle();

      await tabTo('nav a[data-route="access-log"]', 'the menu');
      await page.keyboard.press('Enter');
      await page.waitForSelector('[data-view="access-log"]:not([hidden]) #access-list li.entry');
      await settle();

      // One that can be disputed: neither sealed nor the resident's own read.
      await tabTo('#access-list li.entry:not([data-channel="self"]):not([data-outcome="sealed"]) a.who',
        'the access log');
      await page.keyboard.press('Enter');
      await page.waitForSelector('[data-view="access-entry"]:not([hidden]) #entry dl');
      await settle();

      await tabTo('button[data-dispute="not-recognised"]', 'the entry');
      await page.keyboard.press('Space');
      await page.waitForSelector('#dispute-form:not([hidden])');
      await tabTo('#dispute-note', 'the dispute form');
      await page.keyboard.type('I do not recognise this');
      await tabTo('#dispute-send', 'the dispute form');
      await page.keyboard.press('Enter');
      await page.waitForSelector('#entry-message.ok');
      expect(/MD-\d{4}-\d{7}/.test(await page.textContent('#entry-message')), 'the dispute got no case number');
      await settle();

      await tabTo('nav a[data-route="consents"]', 'back to the menu');
      await page.keyboard.press('Enter');
      await page.waitForSelector('[data-view="consents"]:not([hidden]) #consents-list li.entry[data-status="active"]');
      await settle();
      const id = await page.getAttribute('#consents-list li.entry[data-status="active"]', 'data-id');

      await tabTo(`#consents-list li.entry[data-id="${id}"] button[data-action="revoke"]`, 'the consents');
      await page.keyboard.press('Enter');
      await page.waitForSelector(`#consents-list li.entry[data-id="${id}"][data-status="revoked"]`);
      await settle();
      // The result is announced and the focus is not lost to the page's top.
      const focus = await page.evaluate(() => document.activeElement && document.activeElement.id);
      expect(focus === 'consents-message', `after withdrawing, the focus is on "${focus}"`);
    },
  },
  {
    name: '200 % zoom: no page scrolls sideways at 1280 px zoomed to 200 %',
    async run({ open }) {
      const { routes } = appRoutes();
      // 1280 px at 200 % is a 640 px wide CSS viewport drawn at two device pixels per px.
      const page = await open({ locale: 'ja-JP', width: 640, height: 400, deviceScaleFactor: 2 });
      const settle = quiet(page);
      const wide = [];
      const measure = async (where) => {
        const { sw, cw } = await page.evaluate(() => ({
          sw: document.documentElement.scrollWidth, cw: document.documentElement.clientWidth,
        }));
        if (sw > cw) wide.push(`${where} is ${sw} px wide in ${cw} px`);
      };
      await page.goto('/');
      for (const lang of LANGS) {
        await page.goto('/');
        await setLang(page, lang);
        await loggedOutPages(page, settle, lang, measure);
      }
      await go(page, settle, 'login');
      await loginByClick(page, settle);
      const entry = await anEntry(page);
      const consents = await (await page.request.get('/api/v1/me/consents')).json();
      const query = { 'access-entry': `?id=${entry}`, 'consent-request': `?id=${await askConsent()}` };
      if (consents.consents.length) query.consent = `?id=${consents.consents[0].id}`;
      for (const lang of LANGS) {
        await setLang(page, lang);
        for (const route of routes) {
          if (route === 'login') continue;
          await go(page, settle, route, query[route] || '');
          await measure(`${lang} ${route}`);
        }
      }
      expect(wide.length === 0, wide.join('; '));
    },
  },
];
