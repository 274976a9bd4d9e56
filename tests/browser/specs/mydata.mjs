// My information in the browser, on a 360-pixel phone in Japanese and a 1280-pixel
// screen in English: the demo agencies' items grouped by holder, opened in the page from
// the holders' sealed answers (the value shown is the holder's own, and never in what
// Mado sent), downloads made in the page, the read found in the access log as the
// resident's own (channel self), and a correction request from an item with its case
// number, answered by the holder on the gateway (over mTLS with its own certificate) and
// the answer arriving as a notice.
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { agencyPost } from '../agency.mjs';

function expect(cond, what) {
  if (!cond) throw new Error(what);
}

// One value from Mado's database (mado-testenv's MADOTEST_DB), or from a holder's own
// (holder_<org> in the same cluster), as the superuser.
function sql(query, holder) {
  let db = process.env.MADOTEST_DB;
  if (holder) db = db.replace('dbname=mado', `dbname=holder_${holder.replace(/-/g, '_')}`);
  return execFileSync('psql', ['-XAtq', db, '-c', query], { encoding: 'utf8' }).trim();
}

// What the holder keeps for the person of the newest session: member of item's value.
function held(holder, item, member) {
  const person = sql('SELECT person_id FROM portal.sessions ORDER BY created_at DESC LIMIT 1');
  const who = sql(`SELECT pseudonym FROM portal.pseudonyms WHERE person_id = '${person}'`
    + ` AND org_code = '${holder}'`);
  expect(/^[A-Za-z0-9_-]{43}$/.test(who), `no pseudonym of ${holder} for ${person}`);
  return sql(`SELECT value->>'${member}' FROM holder.holdings WHERE pseudonym = '${who}'`
    + ` AND item = '${item}'`, holder);
}

// The text of a download the page makes when link is clicked.
async function download(page, link) {
  const [d] = await Promise.all([page.waitForEvent('download'), page.click(link)]);
  return { name: d.suggestedFilename(), text: readFileSync(await d.path(), 'utf8') };
}

async function login(page) {
  await page.goto('/#/login');
  await page.waitForSelector('#login-demo-cards button[data-card="demo-rsa"]');
  await page.click('#login-demo-cards button[data-card="demo-rsa"]');
  await page.waitForSelector('body[data-session="in"]');
}

async function fits(page, width, what) {
  const w = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(w <= width, `${what} is ${w} px wide on a ${width} px screen`);
}

function journey({ locale, width, lang, holder, ownOrg, note }) {
  return {
    name: `my information, its read in the access log, a correction (${lang}, ${width} px)`,
    async run({ open, artifacts }) {
      expect(process.env.MADOTEST_DB, 'run with mado-testenv --access');
      const page = await open({ locale, width, height: width > 1000 ? 900 : 740 });
      await login(page);
      const income = held('tax-office', 'tax.income', 'yen');
      const fullName = held('residents-registry', 'resident.name', 'ja');
      expect(/^\d+$/.test(income) && fullName, `the holders keep "${income}" and "${fullName}"`);
      // What Mado sends the page for the read.
      const sent = [];
      page.on('response', (res) => {
        if (new URL(res.url()).pathname !== '/api/v1/me/data') return;
        // A body still coming when the page closes fails: no unhandled rejection then.
        const body = res.text();
        body.catch(() => {});
        sent.push(body);
      });

      await page.click('nav a[href="#/mydata"]');
      await page.waitForSelector('#mydata-list .mydata-item');
      const text = await page.textContent('#mydata-list');
      expect(text.includes(holder), `My information does not name ${holder}`);
      const orgs = await page.$$eval('#mydata-list .mydata-org', (s) => s.map((x) => x.dataset.org));
      for (const o of ['residents-registry', 'tax-office', 'pension-service', 'health-insurer', 'city-welfare'])
        expect(orgs.includes(o), `no items of ${o} (${orgs.join(', ')})`);
      // The values, opened in the page, are the holders' own; Mado's answer holds neither.
      const shownIncome = Number(income).toLocaleString('en-US');
      const incomeText = await page.textContent('li[data-item="tax.income"]');
      expect(incomeText.includes(shownIncome), `tax.income shows "${incomeText}", the holder keeps ${income}`);
      const nameText = await page.textContent('li[data-item="resident.name"]');
      expect(nameText.includes(fullName), `resident.name shows "${nameText}", the holder keeps ${fullName}`);
      expect(sent.length === 1, `${sent.length} reads of My information`);
      const body = await sent[0];
      expect(body.includes('"answers"') && body.includes('"sealed"'), 'no sealed answers in the read');
      expect(!body.includes(income) && !body.includes(fullName) && !body.includes('"yen"'),
        'a value is in what Mado sent');
      // The downloads are made in the page, from the opened values.
      const all = await download(page, '#mydata-export a[data-mydata-export="csv"]');
      expect(all.name.endsWith('.csv'), `the download is named ${all.name}`);
      expect(all.text.startsWith('\uFEFForganisation,organisation_ja,organisation_en,item,'),
        `the CSV starts "${all.text.slice(0, 40)}"`);
      expect(all.text.includes('"tax.income"') && all.text.includes(`"yen"":${income}`),
        'the CSV has not the tax office\'s value');
      expect(all.text.split('\r\n').length === 1 + 11 + 1, 'the CSV has not a line per item');
      const one = await download(page, 'li[data-item="tax.income"] a[data-mydata-export="json"]');
      expect(one.name.includes('tax.income') && one.name.endsWith('.json'), `the item's download is named ${one.name}`);
      const doc = JSON.parse(one.text);
      expect(doc.organisations.length === 1 && doc.organisations[0].items.length === 1
        && doc.organisations[0].items[0].value.yen === Number(income), `the item's JSON is ${one.text}`);
      expect(sent.length === 1, 'a download read My information again');
      await fits(page, width, 'My information');
      await page.screenshot({ path: path.join(artifacts, `mydata-${lang}-${width}.png`), fullPage: true });

      // The read is in the access log, as the resident's own.
      await page.goto('/#/access-log');
      await page.waitForSelector('#access-list li.entry');
      await page.selectOption('#f-channel', 'self');
      await page.click('#access-filters button[type="submit"]');
      await page.waitForFunction((name) => {
        const rows = [...document.querySelectorAll('#access-list li.entry .who')];
        return rows.length > 0 && rows.every((r) => r.textContent === name);
      }, ownOrg);
      await fits(page, width, 'the access log');

      // A correction request from an item: a case number, and the item shows it.
      await page.goto('/#/mydata');
      await page.waitForSelector('li[data-item="tax.income"] button[data-case="correction"]');
      await page.click('li[data-item="tax.income"] button[data-case="correction"]');
      await page.fill('li[data-item="tax.income"] form textarea', note);
      await page.click('li[data-item="tax.income"] form button[type="submit"]');
      await page.waitForSelector('#mydata-message:not([hidden])');
      const msg = await page.textContent('#mydata-message');
      const m = msg.match(/MD-\d{4}-\d{7}/);
      expect(m, `no case number in "${msg}"`);
      await page.waitForFunction((c) =>
        document.querySelector('li[data-item="tax.income"]').textContent.includes(c), m[0]);
      await fits(page, width, 'My information after the request');

      // The tax office answers on the gateway; the answer arrives as a notice.
      const answer = await agencyPost('tax-office', `/gw/v1/disputes/${m[0]}`,
        { status: 'corrected', answer: 'Refund added.' });
      expect(answer.status === 204, `the holder's answer was refused: ${answer.status} ${answer.text}`);
      await page.goto('/#/notices');
      await page.waitForFunction((c) =>
        document.querySelector('#notices-list').textContent.includes(c), m[0]);
      await fits(page, width, 'the notices');
      await page.goto('/#/mydata');
      await page.waitForFunction((a) => {
        const li = document.querySelector('li[data-item="tax.income"]');
        return li && li.textContent.includes(a);
      }, 'Refund added.');
    },
  };
}

export const checks = [
  journey({ locale: 'ja-JP', width: 360, lang: 'ja', holder: '税務署',
    ownOrg: 'Mado（ご本人による確認）', note: '還付が反映されていません' }),
  journey({ locale: 'en-GB', width: 1280, lang: 'en', holder: 'Tax Office',
    ownOrg: 'Mado (your own check)', note: 'A refund is missing.' }),
];
