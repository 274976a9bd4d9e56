// Consent in the browser: a demo service asks, the person reads the request in plain
// words and approves it, the service fetches, the person withdraws, and the next fetch is
// refused. The service's side runs here over mTLS with its own certificate, and opens the
// holders' sealed answers with its own reply key, as the browser would (web/js/seal.js).
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { agencyPost } from '../agency.mjs';
import { openSealed, replyKey } from '../../../web/js/seal.js';

function expect(cond, what) {
  if (!cond) throw new Error(what);
}

const orgs = process.env.MADOTEST_ORGS;
const mtlsPort = process.env.MADOTEST_MTLS_PORT;
const db = process.env.MADOTEST_DB;

// A call from the kakeibo-app service to Mado's mTLS listener.
const service = (pathname, body) => agencyPost('kakeibo-app', pathname, body);

export const checks = [
  {
    name: 'approve a service request, see its use, withdraw, and the next fetch is refused',
    async run({ open, artifacts }) {
      expect(orgs && mtlsPort, 'run with mado-testenv --access');
      const ask = await service('/rp/v1/consent-requests', {
        purpose: 'budget.planning', items: ['tax.income', 'pension.benefit'],
        redirect_uri: 'https://kakeibo.example/callback', state: 'st-42', valid_days: 30,
        frequency: { unit: 'day', max: 10 },
      });
      expect(ask.status === 201, `the request answered ${ask.status}`);

      const page = await open({ locale: 'ja-JP', width: 360 });
      // The service's callback, as the browser would reach it.
      let callback = null;
      await page.route('https://kakeibo.example/**', (route) => {
        callback = new URL(route.request().url());
        route.fulfill({ status: 200, contentType: 'text/html', body: '<p>kakeibo</p>' });
      });
      const approve = new URL(ask.body.approve_url);
      // Not logged in yet: login first, then back to the request.
      await page.goto(`/${approve.hash}`);
      await page.waitForSelector('#login-demo-cards button[data-card="demo-rsa"]');
      await page.click('#login-demo-cards button[data-card="demo-rsa"]');
      await page.waitForSelector('[data-view="consent-request"][aria-busy="false"]:not([hidden]) #request-detail dl');
      const detail = await page.textContent('#request-detail');
      expect(detail.includes('かけいぼアプリ'), 'the request does not name the service');
      expect(detail.includes('家計の管理'), 'the request does not give the purpose in words');
      // The names of what it may never ask come after the request itself.
      await page.waitForFunction(() => document.querySelector('#request-never').textContent.length > 0);
      expect((await page.textContent('#request-never')).includes('診療報酬明細'),
        'the request does not say what the service may never ask');
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(width <= 360, `the request is ${width} px wide on a 360 px screen`);
      await page.screenshot({ path: path.join(artifacts, 'consent-request-ja-360.png'), fullPage: true });
      // Leave the pension out; approve the income only.
      await page.uncheck('#request-items input[value="pension.benefit"]');
      await page.click('#request-approve');
      await page.waitForFunction(() => window.location.hostname === 'kakeibo.example');
      expect(callback && callback.searchParams.get('state') === 'st-42', 'the state did not come back');
      const code = callback.searchParams.get('code');
      expect(code && code.length === 43, 'no code came back');

      const token = await service('/rp/v1/token', { code });
      expect(token.status === 200, `the code exchange answered ${token.status}`);
      const grant = token.body.grant;
      // The holders answer sealed to the service's reply key; Mado relays what it cannot read.
      const key = await replyKey();
      const got = await service('/rp/v1/data', { grant, items: ['tax.income'], reply_key: key.text });
      expect(got.status === 200 && Array.isArray(got.body.answers) && got.body.answers.length === 1,
        `the fetch answered ${got.status}`);
      expect(!JSON.stringify(got.body).includes('yen'), 'a value travelled in the clear');
      const answer = JSON.parse(await openSealed(key, got.body.event_id, got.body.answers[0].sealed));
      expect(answer.record === got.body.event_id && answer.items['tax.income']
        && Number.isInteger(answer.items['tax.income'].value.yen), 'the answer does not open to the income');
      const more = await service('/rp/v1/data', { grant, items: ['pension.benefit'], reply_key: key.text });
      expect(more.status === 403, 'the item left out was served');

      // The person sees the use and withdraws.
      await page.goto('/#/consents');
      await page.waitForSelector('#consents-list li.entry[data-status="active"]');
      expect((await page.textContent('#consents-list')).includes('1回利用'), 'the use is not counted');
      await page.screenshot({ path: path.join(artifacts, 'consents-ja-360.png'), fullPage: true });
      await page.click('#consents-list li.entry[data-status="active"] button[data-action="revoke"]');
      await page.waitForSelector('#consents-list li.entry[data-status="revoked"]');
      const after = await service('/rp/v1/data', { grant, items: ['tax.income'], reply_key: key.text });
      expect(after.status === 403 && after.body.reason === 'revoked',
        `after withdrawal the fetch answered ${after.status} ${after.body.reason}`);
      // The receipt downloads.
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.click('#consents-list li.entry[data-status="revoked"] a[download]'),
      ]);
      const file = path.join(artifacts, 'receipt.json');
      await download.saveAs(file);
      const receipt = JSON.parse(readFileSync(file, 'utf8'));
      expect(receipt.signature && receipt.receipt.includes('"revoked"'), 'the receipt is not the withdrawal');
    },
  },
  {
    name: 'the card signed a while ago: approving asks for the card again, then goes through',
    async run({ open, artifacts }) {
      expect(orgs && mtlsPort && db, 'run with mado-testenv --access');
      const ask = await service('/rp/v1/consent-requests', {
        purpose: 'budget.planning', items: ['tax.income'],
        redirect_uri: 'https://kakeibo.example/callback', state: 'st-43', valid_days: 30,
      });
      expect(ask.status === 201, `the request answered ${ask.status}`);
      const page = await open({ locale: 'en-GB' });
      let callback = null;
      await page.route('https://kakeibo.example/**', (route) => {
        callback = new URL(route.request().url());
        route.fulfill({ status: 200, contentType: 'text/html', body: '<p>kakeibo</p>' });
      });
      await page.goto(`/${new URL(ask.body.approve_url).hash}`);
      await page.waitForSelector('#login-demo-cards button[data-card="demo-rsa"]');
      await page.click('#login-demo-cards button[data-card="demo-rsa"]');
      await page.waitForSelector('[data-view="consent-request"][aria-busy="false"]:not([hidden]) #request-detail dl');
      // This login's card signed 16 minutes ago (card_fresh_s is 900).
      const moved = execFileSync('psql', ['-XAtq', db, '-c',
        "UPDATE portal.sessions SET card_at = now() - interval '16 minutes' WHERE id_hash ="
        + ' (SELECT id_hash FROM portal.sessions WHERE person_id IS NOT NULL'
        + ' ORDER BY created_at DESC LIMIT 1) RETURNING 1'], { encoding: 'utf8' }).trim();
      expect(moved === '1', 'the session was not found');
      await page.click('#request-approve');
      await page.waitForSelector('#step-up[open] button[data-card="demo-rsa"]');
      expect(callback === null, 'the service was answered before the card');
      await page.screenshot({ path: path.join(artifacts, 'consent-step-up-en.png') });
      await page.click('#step-up button[data-card="demo-rsa"]');
      await page.waitForFunction(() => window.location.hostname === 'kakeibo.example');
      expect(callback && callback.searchParams.get('state') === 'st-43' && callback.searchParams.get('code'),
        'no code came back after the card');
    },
  },
];
