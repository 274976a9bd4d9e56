// The supervisor's register pages (web/js/supervisor-registers.js) as the supervisor's app
// mounts them: a supervisor staff member, logged in with their staff certificate, sees a
// proposal beside what is in force and approves it; the proposer's own certificate would
// be refused by the database. The proposal is made as the operator does (through the
// database function, MADOTEST_DB).
import path from 'node:path';
import { execFileSync } from 'node:child_process';

const mtls = process.env.MADOTEST_MTLS_PORT;
const orgs = process.env.MADOTEST_ORGS;
const db = process.env.MADOTEST_DB;
const KEY = 'tax-office/tax.assessment/MNA-T2-72';

function expect(cond, what) {
  if (!cond) throw new Error(what);
}

function sql(text) {
  return execFileSync('psql', ['-X', '-q', '-t', '-A', db, '-c', text], { encoding: 'utf8' }).trim();
}

export const checks = [
  {
    name: 'supervisor: approves a register proposal on the supervisor-registers page',
    async run({ open, base }) {
      expect(mtls && orgs && db, 'run with mado-testenv --access');
      // The operator proposes that the tax office's basis also covers tax withholding.
      const id = sql(`SELECT proposal FROM portal.register_propose('legal-basis',
        (SELECT v.content || jsonb_build_object('items', (v.content->'items') || '"tax.withholding"')
         FROM portal.register_versions v WHERE v.kind = 'legal-basis' AND v.key = '${KEY}'
         ORDER BY v.version DESC LIMIT 1), 'operator', repeat('e', 64), 'browser check')`);
      expect(/^\d+$/.test(id), `no proposal made: ${id}`);
      const before = Number(sql(`SELECT max(version) FROM portal.register_versions WHERE key = '${KEY}'`));

      const page = await open({
        locale: 'en-US',
        width: 1024,
        height: 900,
        clientCertificates: [{
          origin: `https://localhost:${mtls}`,
          certPath: path.join(orgs, 'cards', 'supervisor-b.crt'),
          keyPath: path.join(orgs, 'cards', 'supervisor-b.key'),
        }],
      });
      const login = await page.request.post(`https://localhost:${mtls}/staff/v1/auth/tls`,
        { headers: { Origin: `https://localhost:${mtls}`, Accept: 'application/json' } });
      expect(login.ok(), `the supervisor's login answered ${login.status()}`);
      const port = new URL(base).port;
      await page.goto(`https://localhost:${port}/registers.html`);
      await page.waitForSelector('#registers-current tbody tr');
      await page.evaluate(async () => {
        const { renderRegisters } = await import('/js/supervisor-registers.js');
        const me = await (await fetch('/staff/v1/me')).json();
        const call = async (method, p, body) => {
          const r = await fetch(p, {
            method,
            headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token },
            body: body === undefined ? undefined : JSON.stringify(body),
          });
          if (r.status === 204) return null;
          const j = await r.json();
          if (!r.ok) throw new Error(j.type);
          return j;
        };
        const box = document.createElement('section');
        box.id = 'supervisor-registers';
        document.querySelector('main').append(box);
        await renderRegisters(box, { call });
      });
      const card = `#supervisor-registers article[data-proposal="${id}"]`;
      await page.waitForSelector(card);
      const text = await page.textContent(card);
      expect(text.includes('tax.withholding'), 'the proposal does not show what it adds');
      await page.fill(`${card} textarea`, 'seen the law');
      await page.click(`${card} button[data-action="approve"]`);
      await page.waitForSelector(card, { state: 'detached' });
      const after = Number(sql(`SELECT max(version) FROM portal.register_versions WHERE key = '${KEY}'`));
      expect(after === before + 1, `version ${after} after approval, was ${before}`);
      expect(sql(`SELECT note FROM portal.register_decisions WHERE proposal = ${id}`) === 'seen the law',
        'the decision does not keep the note');
    },
  },
];
