// My information in the browser, on a 360-pixel phone in Japanese and a 1280-pixel
// screen in English: the demo agencies' items grouped by holder with downloads, the read
// found in the access log as the resident's own (channel self), and a correction request
// from an item with its case number, answered by the holder on the gateway (over mTLS
// with its own certificate) and the answer arriving as a notice.
import https from 'node:https';
import path from 'node:path';
import { readFileSync } from 'node:fs';

function expect(cond, what) {
  if (!cond) throw new Error(what);
}

// A call from an agency's system to Mado's mTLS listener; the status and parsed body.
function agency(org, pathname, body) {
  const dir = path.join(process.env.MADOTEST_ORGS, 'cards');
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = https.request({
      host: '127.0.0.1', port: process.env.MADOTEST_MTLS_PORT, path: pathname, method: 'POST',
      cert: readFileSync(path.join(dir, `${org}.crt`)),
      key: readFileSync(path.join(dir, `${org}.key`)),
      rejectUnauthorized: false,
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) },
    }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    req.end(data);
  });
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
      const page = await open({ locale, width, height: width > 1000 ? 900 : 740 });
      await login(page);

      await page.click('nav a[href="#/mydata"]');
      await page.waitForSelector('#mydata-list .mydata-item');
      const text = await page.textContent('#mydata-list');
      expect(text.includes(holder), `My information does not name ${holder}`);
      const orgs = await page.$$eval('#mydata-list .mydata-org', (s) => s.map((x) => x.dataset.org));
      for (const o of ['residents-registry', 'tax-office', 'pension-service', 'health-insurer', 'city-welfare'])
        expect(orgs.includes(o), `no items of ${o} (${orgs.join(', ')})`);
      const csv = await page.getAttribute('[data-view="mydata"] > p.export a[data-mydata-export="csv"]', 'href');
      expect(csv === '/api/v1/me/data/export?format=csv', `the download link is ${csv}`);
      const itemCsv = await page.getAttribute('li[data-item="tax.income"] a[data-mydata-export="csv"]', 'href');
      expect(itemCsv.includes('item=tax.income'), `the item's download link is ${itemCsv}`);
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
      const answer = await agency('tax-office', `/gw/v1/disputes/${m[0]}`,
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
