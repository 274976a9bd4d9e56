// The access log in the browser: the summary on the home page, filters, one entry in
// plain words, a dispute with its case number, the export and the coverage list, on a
// 360-pixel phone, in Japanese and English. The environment (mado-testenv --access)
// has reported accesses by the tax office for every demo person.
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';

function expect(cond, what) {
  if (!cond) throw new Error(what);
}

// One value from the database (mado-testenv's MADOTEST_DB), as its superuser.
function sql(query) {
  return execFileSync('psql', ['-XAtq', process.env.MADOTEST_DB, '-c', query], { encoding: 'utf8' }).trim();
}

async function login(page) {
  await page.goto('/#/login');
  await page.waitForSelector('#login-demo-cards button[data-card="demo-rsa"]');
  await page.click('#login-demo-cards button[data-card="demo-rsa"]');
  await page.waitForSelector('body[data-session="in"]');
}

async function fitsPhone(page, what) {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width <= 360, `${what} is ${width} px wide on a 360 px screen`);
}

export const checks = [
  {
    name: 'filter the access log, open an entry, dispute it, download the export',
    async run({ open, artifacts }) {
      const page = await open({ locale: 'ja-JP', width: 360 });
      await login(page);
      await page.waitForSelector('#home-summary .summary-total');
      const summary = await page.textContent('#home-summary');
      expect(/件/.test(summary), `the home summary says "${summary}"`);

      await page.click('nav a[href="#/access-log"]');
      await page.waitForSelector('#access-list li.entry');
      await page.waitForSelector('#coverage-body tr');
      await fitsPhone(page, 'the access log');
      await page.screenshot({ path: path.join(artifacts, 'access-log-ja-360.png'), fullPage: true });

      // Filter: the tax office's accesses only.
      await page.selectOption('#f-organisation', 'tax-office');
      await page.click('#access-filters button[type="submit"]');
      await page.waitForFunction(() => {
        const rows = [...document.querySelectorAll('#access-list li.entry .who')];
        return rows.length > 0 && rows.every((r) => r.textContent === '税務署');
      });
      const csvHref = await page.getAttribute('a[data-export="csv"]', 'href');
      expect(csvHref.includes('organisation=tax-office'), `the export link ignores the filter: ${csvHref}`);

      // One entry in plain words.
      await page.click('#access-list li.entry a.who');
      await page.waitForSelector('[data-view="access-entry"]:not([hidden]) #entry dl');
      const facts = await page.textContent('#entry');
      expect(facts.includes('税務署'), 'the entry does not name the organisation');
      expect(facts.includes('税額の算定'), 'the entry does not give the purpose in words');
      await fitsPhone(page, 'the entry');

      // Dispute it: a case number comes back, and the entry shows the dispute.
      await page.click('button[data-dispute="not-recognised"]');
      await page.fill('#dispute-note', '覚えがありません');
      await page.click('#dispute-send');
      await page.waitForSelector('#entry-message.ok');
      const msg = await page.textContent('#entry-message');
      const m = msg.match(/MD-\d{4}-\d{7}/);
      expect(m, `no case number in "${msg}"`);
      await page.waitForFunction((c) => document.querySelector('#entry').textContent.includes(c), m[0]);
      await page.screenshot({ path: path.join(artifacts, 'access-entry-ja-360.png'), fullPage: true });

      // The export downloads, filtered, as CSV.
      await page.click('[data-view="access-entry"] a[href="#/access-log"]');
      await page.waitForSelector('#access-list li.entry');
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.click('a[data-export="csv"]'),
      ]);
      expect(/^mado-access-log-\d{4}-\d{2}-\d{2}\.csv$/.test(download.suggestedFilename()),
        `the download is called ${download.suggestedFilename()}`);
      const file = path.join(artifacts, 'export.csv');
      await download.saveAs(file);
      const lines = (await readFile(file, 'utf8')).trim().split(/\r\n/);
      expect(lines[0].includes('organisation'), 'the CSV has no header');
      expect(lines.length > 1, 'the CSV has no rows');
      expect(lines.slice(1).every((l) => l.includes('"tax-office"')), 'the CSV is not filtered');
    },
  },
  {
    name: 'the access log and the coverage list in English',
    async run({ open, artifacts }) {
      const page = await open({ locale: 'en-US', width: 360 });
      await login(page);
      await page.goto('/#/access-log');
      await page.waitForSelector('#coverage-body tr');
      const coverage = await page.textContent('#coverage-body');
      expect(coverage.includes('Tax Office'), 'the coverage list has no English names');
      expect(coverage.includes('Not yet'), 'the coverage list does not say who does not report');
      await page.waitForSelector('#access-list li.entry');
      await fitsPhone(page, 'the English access log');
      await page.screenshot({ path: path.join(artifacts, 'access-log-en-360.png'), fullPage: true });
      // Alerts: choose one and find it kept.
      await page.goto('/#/notices');
      await page.waitForSelector('[data-view="notices"][aria-busy="false"]:not([hidden])');
      await page.selectOption('#alert-mode', 'sensitive');
      await page.click('#alert-form button[type="submit"]');
      await page.waitForSelector('#alert-saved:not([hidden])');
      const res = await page.request.get('/api/v1/me/alerts');
      expect((await res.json()).mode === 'sensitive', 'the alert setting was not saved');
    },
  },
  {
    name: 'a consent refusal and an unknown purpose read in words, never as raw keys or null',
    async run({ open }) {
      expect(process.env.MADOTEST_DB, 'run with mado-testenv --access');
      for (const [locale, words] of [['ja-JP', '同意を取り消しました'], ['en-GB', 'you withdrew your consent']]) {
        const page = await open({ locale, width: 360 });
        await login(page);
        // The session just made is this person's: a refused private fetch under a withdrawn
        // consent, for a purpose Mado has no words for.
        const person = sql('SELECT person_id FROM portal.sessions ORDER BY created_at DESC LIMIT 1');
        const row = sql("SELECT id FROM portal.record_access(ARRAY[ROW(gen_random_uuid(),"
          + ` '${person}'::uuid, now(), 'kakeibo-app', NULL, NULL, NULL, 'machine', 'private',`
          + " 'budget.unlisted', 'consent', NULL, ARRAY['tax.income'], NULL, 'denied',"
          + " 'consent-revoked', NULL, NULL)::portal.access_record])");
        await page.goto(`/#/access-entry?id=${row}`);
        await page.waitForSelector('#entry dl');
        const text = await page.textContent('#entry');
        expect(text.includes(words), `the refusal is not in words: "${text}"`);
        expect(text.includes('budget.unlisted'), 'the unknown purpose is not named by its code');
        expect(!text.includes('access.reason.') && !/null/.test(text), `raw text on the entry page: "${text}"`);
        await fitsPhone(page, 'the entry');
      }
    },
  },
];
