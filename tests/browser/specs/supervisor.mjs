// The supervisor at work: a supervisor staff member logs in with the staff certificate,
// sees the overview's plots (SVG, each with its table of numbers), runs the anomaly scan,
// opens the case the demo traffic's night burst raised, asks the organisation (which
// answers over its gateway with its own certificate), closes the case with a finding;
// the statistics page draws its plots too; on the registers page (the registers module's,
// mounted by the app) the supervisor approves a change the operator proposed, and the
// seals page shows. axe finds no serious or critical violation on any of these screens,
// in English and Japanese.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const axeSource = readFileSync(path.resolve(here, '../node_modules/axe-core/axe.min.js'), 'utf8');
const mtls = process.env.MADOTEST_MTLS_PORT;
const orgs = process.env.MADOTEST_ORGS;
const db = process.env.MADOTEST_DB;
const KEY = 'tax-office/tax.assessment/MNA-T2-72';

function sql(text) {
  return execFileSync('psql', ['-X', '-q', '-t', '-A', db, '-c', text], { encoding: 'utf8' }).trim();
}

function expect(cond, what) {
  if (!cond) throw new Error(what);
}

async function axe(page, where, found) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  });
  for (const v of violations.filter((x) => x.impact === 'serious' || x.impact === 'critical'))
    found.push(`${where}: ${v.impact} ${v.id} ${v.nodes.slice(0, 3).join('; ')}`);
}

async function ready(page, view) {
  await step(`the ${view} page`,
    () => page.waitForSelector(`[data-view="${view}"][aria-busy="false"]:not([hidden])`));
}

// The step a failure happened in, for its message.
async function step(what, fn) {
  try {
    return await fn();
  } catch (e) {
    throw new Error(`${what}: ${e.message.split('\n')[0]}`);
  }
}

// The organisation's own system, over mTLS with its certificate.
function gateway(org, method, urlPath, body) {
  const args = ['-sS', '-k', '--max-time', '20', '--cert', path.join(orgs, 'cards', `${org}.crt`),
    '--key', path.join(orgs, 'cards', `${org}.key`), '-X', method, '-w', '\n%{http_code}'];
  if (body) args.push('-H', 'Content-Type: application/json', '--data-binary', JSON.stringify(body));
  const out = execFileSync('curl', [...args, `https://127.0.0.1:${mtls}${urlPath}`], { encoding: 'utf8' });
  const i = out.lastIndexOf('\n');
  return { status: Number(out.slice(i + 1)), body: out.slice(0, i) };
}

export const checks = [
  {
    name: 'the supervisor: login, overview plots, the demo anomaly opened, asked, answered by the organisation, closed',
    async run({ open, artifacts }) {
      expect(mtls && orgs, 'MADOTEST_MTLS_PORT and MADOTEST_ORGS must be set (mado-testenv --access)');
      const page = await open({
        locale: 'en-US',
        width: 1280,
        height: 900,
        clientCertificates: [{
          origin: `https://localhost:${mtls}`,
          certPath: path.join(orgs, 'cards', 'supervisor-a.crt'),
          keyPath: path.join(orgs, 'cards', 'supervisor-a.key'),
        }],
      });
      const found = [];
      await page.goto(`https://localhost:${mtls}/supervisor-login.html`);
      await axe(page, 'login page', found);
      await page.click('#staff-login');
      await page.waitForURL(/\/supervisor\.html/);
      await step('logged in', () => page.waitForSelector('body[data-staff="in"]'));
      await page.click('button[data-lang="en"]');

      // The overview: plots drawn from the data, each with its numbers as a table.
      await ready(page, 'overview');
      const plots = await page.$$eval('#overview-charts figure.chart', (fs) => fs.map((f) => ({
        svg: f.querySelectorAll('svg rect').length,
        rows: f.querySelectorAll('table tbody tr').length,
        hatched: f.querySelectorAll('svg pattern').length,
      })));
      expect(plots.length >= 2, `the overview shows ${plots.length} plots`);
      expect(plots.every((p) => p.svg > 0 && p.rows > 0), `a plot without bars or numbers: ${JSON.stringify(plots)}`);
      expect(plots[0].hatched > 0, 'the plot tells its series apart by colour alone');
      await axe(page, 'overview', found);
      await page.screenshot({ path: path.join(artifacts, 'supervisor-overview-en.png'), fullPage: true });

      // The anomaly the demo traffic triggered: a burst of night reads by one official.
      await page.click('#sup-nav a[href="#/anomalies"]');
      await ready(page, 'anomalies');
      await page.click('#scan-now');
      // The traffic's official is named after its agency ("tax-office-17"); other night
      // cases may be there too (the checks run at night in Japan now and then, and a
      // desk clerk reading then is flagged as well).
      const burstId = () => page.$$eval('#anomaly-list li[data-kind="night"]', (ls) => {
        const li = ls.find((l) => l.dataset.subject.startsWith(`${l.dataset.org}-`));
        return li ? li.dataset.anomaly : null;
      });
      await step('the night case', () => page.waitForFunction(
        () => [...document.querySelectorAll('#anomaly-list li[data-kind="night"]')]
          .some((l) => l.dataset.subject.startsWith(`${l.dataset.org}-`)), null, { timeout: 30000 }));
      await axe(page, 'anomalies', found);
      const burst = `#anomaly-list li[data-anomaly="${await burstId()}"]`;
      const org = await page.getAttribute(burst, 'data-org');
      await page.click(`${burst} a`);
      await ready(page, 'anomaly');
      await page.click('#anomaly-open');
      await step('the case opened', () => page.waitForSelector('[data-view="anomaly"][data-status="open"] #anomaly-question-form:not([hidden])'));
      await axe(page, 'anomaly (open)', found);
      await page.fill('#anomaly-note', 'Six reads of residents between 02:00 and 02:06.');
      await page.click('#anomaly-note-form button[type="submit"]');
      await step('the note', () => page.waitForSelector('#anomaly-history li[data-kind="note"]'));
      await page.fill('#anomaly-question', 'Who asked for these reads at night, and why?');
      await page.click('#anomaly-question-form button[type="submit"]');
      await step('the question asked', () => page.waitForSelector('[data-view="anomaly"][data-status="asked"]'));

      // The organisation reads the question over its gateway and answers.
      const asked = gateway(org, 'GET', '/gw/v1/anomalies');
      expect(asked.status === 200, `the organisation's list answered ${asked.status}`);
      const c = JSON.parse(asked.body).anomalies.find((a) => a.status === 'asked');
      expect(c && c.questions.some((q) => q.body.includes('at night')), 'the organisation does not see the question');
      const answered = gateway(org, 'POST', `/gw/v1/anomalies/${c.id}/answer`,
        { answer: 'An urgent benefit case; the official had the manager\'s approval.' });
      expect(answered.status === 204, `the answer was refused: ${answered.status}`);

      await page.reload();
      await ready(page, 'anomaly');
      await step('the answer', () => page.waitForSelector('[data-view="anomaly"][data-status="answered"] #anomaly-history li[data-kind="answer"]'));
      await page.fill('#anomaly-finding', 'Explained and approved; no further action.');
      await page.click('#anomaly-close-form button[type="submit"]');
      await step('the case closed', () => page.waitForSelector('[data-view="anomaly"][data-status="closed"]'));
      await axe(page, 'anomaly (closed)', found);

      // The statistics, in Japanese too.
      await page.click('#sup-nav a[href="#/statistics"]');
      await ready(page, 'statistics');
      expect(await page.$$eval('#stats-charts figure.chart', (f) => f.length) >= 8, 'the statistics lack plots');
      await axe(page, 'statistics', found);
      await page.click('button[data-lang="ja"]');
      await ready(page, 'statistics');
      await axe(page, 'statistics (ja)', found);
      await page.click('#sup-nav a[href="#/disputes"]');
      await ready(page, 'disputes');
      await axe(page, 'disputes (ja)', found);
      await page.click('#sup-nav a[href="#/reveals"]');
      await ready(page, 'reveals');
      await axe(page, 'reveals (ja)', found);

      // A registration change the operator proposed (as mado's commands do, through the
      // database), approved here by the supervisor: it takes effect as a new version.
      // (An item the basis does not cover yet, whatever another check approved before.)
      const id = sql(`SELECT proposal FROM portal.register_propose('legal-basis',
        (SELECT v.content || jsonb_build_object('items', (v.content->'items') || to_jsonb(
           (SELECT min(d.code) FROM portal.data_items d WHERE NOT (v.content->'items') ? d.code)))
         FROM portal.register_versions v WHERE v.kind = 'legal-basis' AND v.key = '${KEY}'
         ORDER BY v.version DESC LIMIT 1), 'operator', repeat('e', 64), 'supervisor check')`);
      expect(/^\d+$/.test(id), `no proposal made: ${id}`);
      const before = Number(sql(`SELECT max(version) FROM portal.register_versions WHERE key = '${KEY}'`));
      await page.click('button[data-lang="en"]');
      await page.click('#sup-nav a[href="#/registers"]');
      await ready(page, 'registers');
      const card = `#registers-mount article[data-proposal="${id}"]`;
      await step('the proposal', () => page.waitForSelector(card));
      await axe(page, 'registers', found);
      await page.fill(`${card} textarea`, 'the law allows it');
      await page.click(`${card} button[data-action="approve"]`);
      await step('the approval', () => page.waitForSelector(card, { state: 'detached' }));
      const after = Number(sql(`SELECT max(version) FROM portal.register_versions WHERE key = '${KEY}'`));
      expect(after === before + 1, `version ${after} after the approval, was ${before}`);
      await page.click('#sup-nav a[href="#/seals"]');
      await ready(page, 'seals');
      await axe(page, 'seals', found);
      expect(found.length === 0, found.join(' | '));
    },
  },
  {
    name: 'the public transparency page: no count below the threshold, axe clean at 360 px',
    async run({ open }) {
      const page = await open({ locale: 'ja-JP', width: 360 });
      await page.goto('/transparency.html');
      await step('the page loaded', () => page.waitForSelector('main[aria-busy="false"]'));
      const small = await page.$$eval('td.num', (tds) => tds.map((t) => Number(t.textContent.replace(/[^0-9]/g, '')))
        .filter((n) => n > 0 && n < 10));
      expect(small.length === 0, `counts below the threshold are shown: ${small.join(', ')}`);
      const found = [];
      await axe(page, 'transparency', found);
      expect(found.length === 0, found.join(' | '));
    },
  },
];
