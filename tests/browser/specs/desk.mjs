// A desk visit end to end at the desk terminal: the clerk logs in with the staff
// certificate, the resident takes the visit up with their (virtual) card, the clerk shows
// the access log (and files a dispute on the resident's word), the resident's information
// and notices, withdraws a consent, prints the receipt to PDF (A4 and 80 mm, its text
// read back with pdftotext), ends the customer, and the next visit starts clean.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const axeSource = readFileSync(path.resolve(here, '../node_modules/axe-core/axe.min.js'), 'utf8');

function expect(cond, what) {
  if (!cond) throw new Error(what);
}

const mtls = process.env.MADOTEST_MTLS_PORT;
const orgs = process.env.MADOTEST_ORGS;

// One value from Mado's database (MADOTEST_DB), or from a holder's own (holder_<org>).
function sql(query, holder) {
  let db = process.env.MADOTEST_DB;
  if (holder) db = db.replace('dbname=mado', `dbname=holder_${holder.replace(/-/g, '_')}`);
  return execFileSync('psql', ['-XAtq', db, '-c', query], { encoding: 'utf8' }).trim();
}

function pdfText(file) {
  return execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
}

function pdfWidth(file) {
  const info = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
  const m = info.match(/Page size:\s+([\d.]+) x ([\d.]+) pts/);
  return m ? Number(m[1]) : 0;
}

// The resident, in their own session, consents to a push programme: something to withdraw.
async function residentConsents(page, base, card) {
  const origin = { Origin: base };
  const { nonce } = await (await page.request.post('/api/v1/auth/challenge', { headers: origin })).json();
  const token = await (await page.request.post(`/api/v1/demo/cards/${card}/token`,
    { headers: origin, data: { nonce } })).text();
  const login = await page.request.post('/api/v1/auth/webeid',
    { headers: { ...origin, 'Content-Type': 'application/json' }, data: token });
  expect(login.ok(), `the resident's login answered ${login.status()}`);
  const csrf = (await login.json()).csrf_token;
  const h = { ...origin, 'X-CSRF-Token': csrf };
  await page.request.post('/api/v1/me/consents/push',
    { headers: h, data: { programme: 'benefit-eligibility' } });
  const list = await (await page.request.get('/api/v1/me/consents')).json();
  const active = list.consents.filter((c) => c.status === 'active');
  expect(active.length > 0, 'the resident has no consent in force to withdraw');
  await page.request.post('/api/v1/auth/logout', { headers: h });
}

// axe on the terminal's screen as it stands: serious and critical violations fail.
async function axe(page, where, found) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  });
  for (const v of violations.filter((x) => x.impact === 'serious' || x.impact === 'critical'))
    found.push(`${where}: ${v.impact} ${v.id} ${v.nodes.slice(0, 3).join('; ')}`);
}

async function busyDone(page, view) {
  await page.waitForSelector(`[data-view="${view}"][aria-busy="false"]:not([hidden])`);
}

async function takeCard(page, card) {
  await page.click('#visit-start');
  await page.waitForSelector(`#desk-card-list button[data-card="${card}"]`);
  await page.click(`#desk-card-list button[data-card="${card}"]`);
  await page.waitForSelector('body[data-visit="open"]');
  await busyDone(page, 'menu');
}

export const checks = [
  {
    name: 'a desk visit: staff login, card, log, withdraw, receipt to PDF, end customer, next visit clean',
    async run({ open, base, artifacts }) {
      expect(mtls && orgs, 'MADOTEST_MTLS_PORT and MADOTEST_ORGS must be set (mado-testenv --access)');
      const page = await open({
        locale: 'en-US',
        width: 1024,
        height: 900,
        clientCertificates: [{
          origin: `https://localhost:${mtls}`,
          certPath: path.join(orgs, 'cards', 'desk-clerk.crt'),
          keyPath: path.join(orgs, 'cards', 'desk-clerk.key'),
        }],
      });
      await residentConsents(page, base, 'demo-ec');
      const found = [];

      // The clerk logs in with the staff certificate on the TLS login listener.
      await page.goto(`https://localhost:${mtls}/desk-login.html`);
      await page.click('#staff-login');
      await page.waitForURL(/\/desk\.html/);
      await page.waitForSelector('body[data-staff="in"]');
      const me = await (await page.request.get('/staff/v1/me')).json();
      expect(/^S-[0-9a-f]{12}$/.test(me.staff), `the clerk is shown as ${me.staff}`);
      // A staff session is no resident's: the portal's pages stay closed to it.
      expect((await page.request.get('/api/v1/me/session')).status() === 401,
        'the staff session opened a resident page');

      // The resident's card takes the visit up.
      await takeCard(page, 'demo-ec');
      await axe(page, 'menu', found);
      await page.screenshot({ path: path.join(artifacts, 'desk-menu-en.png'), fullPage: true });

      // Show the log: the visit's own requests are in it, as the desk's.
      await page.click('a[href="#/log"]');
      await busyDone(page, 'log');
      await page.waitForSelector('#desk-log-body tr[data-channel="desk"]');
      await axe(page, 'log', found);
      // On the resident's word, a dispute of an access they do not recognise.
      await page.click('#desk-log-body button[data-dispute] >> nth=0');
      await page.waitForSelector('#desk-log-body span.case');

      // My information and the notices.
      await page.click('[data-view="log"] a[href="#/menu"]');
      await busyDone(page, 'menu');
      await page.click('[data-view="menu"] a[href="#/info"]');
      await busyDone(page, 'info');
      expect(await page.$$eval('#desk-info-body tr', (r) => r.length) > 0, 'no information shown');
      // Opened at the terminal from the holder's sealed answer: the registry's own value.
      if (process.env.MADOTEST_DB) {
        const person = sql("SELECT person_id FROM portal.sessions WHERE channel = 'desk'"
          + ' ORDER BY created_at DESC LIMIT 1');
        const who = sql('SELECT pseudonym FROM portal.pseudonyms WHERE org_code ='
          + ` 'residents-registry' AND person_id = '${person}'`);
        const fullName = sql("SELECT value->>'ja' FROM holder.holdings WHERE item = 'resident.name'"
          + ` AND pseudonym = '${who}'`, 'residents-registry');
        const info = await page.textContent('#desk-info-body');
        expect(fullName && info.includes(fullName), `the resident's name (${fullName}) is not shown: ${info}`);
      }
      await axe(page, 'info', found);
      await page.click('[data-view="info"] a[href="#/menu"]');
      await busyDone(page, 'menu');
      await page.click('[data-view="menu"] a[href="#/notices"]');
      await busyDone(page, 'notices');
      await axe(page, 'notices', found);
      await page.click('[data-view="notices"] a[href="#/menu"]');
      await busyDone(page, 'menu');
      await page.click('[data-view="menu"] a[href="#/log"]');
      await busyDone(page, 'log');

      // Withdraw a consent.
      await page.click('[data-view="log"] a[href="#/menu"]');
      await busyDone(page, 'menu');
      await page.click('[data-view="menu"] a[href="#/consents"]');
      await busyDone(page, 'consents');
      await axe(page, 'consents', found);
      const id = await page.getAttribute('#desk-consent-list li[data-consent]', 'data-consent');
      await page.click(`#desk-consent-list button[data-withdraw="${id}"]`);
      await page.waitForSelector(`#desk-consent-list li[data-consent="${id}"]`, { state: 'detached' });

      // The receipt, printed to PDF on A4 and on 80 mm paper.
      await page.click('[data-view="consents"] a[href="#/menu"]');
      await busyDone(page, 'menu');
      await page.click('[data-view="menu"] a[href="#/receipt"]');
      await busyDone(page, 'receipt');
      const visitId = await page.textContent('#receipt-visit');
      await axe(page, 'receipt', found);
      for (const paper of ['a4', '80mm']) {
        await page.evaluate((p) => { document.body.dataset.paper = p; }, paper);
        const file = path.join(artifacts, `desk-receipt-${paper}.pdf`);
        await page.pdf({ path: file, preferCSSPageSize: true, printBackground: true });
        const text = pdfText(file).replace(/\s+/g, ' ');
        for (const want of ['Receipt of your visit', me.staff, visitId.slice(0, 8),
          'Showed the access log', 'Showed my information', 'Showed the notices',
          'Filed a dispute or correction', 'Showed or withdrew consents', 'If you object'])
          expect(text.includes(want), `the ${paper} receipt lacks "${want}": ${text.slice(0, 400)}`);
        expect(!text.includes('End customer') && !text.includes('Print on A4'),
          `the ${paper} receipt prints the terminal's controls`);
        const width = pdfWidth(file);
        if (paper === 'a4') expect(Math.abs(width - 595.3) < 2, `A4 is ${width} pt wide`);
        else expect(Math.abs(width - 226.8) < 2, `the 80 mm receipt is ${width} pt wide`);
      }

      // End customer: the visit ends on the server, nothing of it stays.
      await page.click('#end-customer');
      await page.waitForSelector('body[data-visit="none"]');
      await page.waitForSelector('#desk-ended:not([hidden])');
      await axe(page, 'start', found);
      expect((await page.request.get('/api/v1/me/access-log')).status() === 401,
        'the resident\'s data is reachable after end customer');
      expect(await page.$$eval('#desk-log-body tr', (r) => r.length) === 0, 'the log is still on screen');
      expect((await page.textContent('#receipt-visit')) === '', 'the receipt is still on screen');

      // The next visit starts clean: nothing between visits, then the next resident only.
      await page.click('#visit-start');
      await page.waitForSelector('#desk-card-list button[data-card="demo-rsa"]');
      expect((await page.request.get('/api/v1/me/consents')).status() === 401,
        'a resident\'s data is reachable between visits');
      await page.click('#desk-card-list button[data-card="demo-rsa"]');
      await page.waitForSelector('body[data-visit="open"]');
      await busyDone(page, 'menu');
      await page.click('[data-view="menu"] a[href="#/receipt"]');
      await busyDone(page, 'receipt');
      const next = await page.textContent('#receipt-visit');
      expect(next && next !== visitId, 'the next visit continues the last one');
      await page.click('#end-customer');
      await page.waitForSelector('body[data-visit="none"]');
      expect(found.length === 0, found.join(' | '));
    },
  },
  {
    name: 'the desk terminal speaks Japanese and refuses a resident\'s session',
    async run({ open }) {
      const page = await open({ locale: 'ja-JP', width: 1024 });
      await page.goto('/desk.html');
      await busyDone(page, 'login');
      const title = await page.textContent('[data-view="login"] h1');
      expect(title.includes('職員'), `the login view says "${title}"`);
      const found = [];
      await axe(page, 'login (ja)', found);
      expect(found.length === 0, found.join(' | '));
      expect((await page.request.get('/staff/v1/me')).status() === 401, 'no staff session, yet a staff page');
    },
  },
];
