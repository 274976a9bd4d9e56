// Push programmes in the browser: the person reads a programme's terms on the Notices page
// (and that refusing never affects an entitlement), turns it on, a notice from the welfare
// office arrives, turns it off, and the next notice is refused and shows in their access
// log. The welfare office's side runs here over mTLS with its own certificate; its
// pseudonym for the person is read from the database (mado-testenv's MADOTEST_DB), as
// only the office would know it.
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { agencyPost } from '../agency.mjs';

function expect(cond, what) {
  if (!cond) throw new Error(what);
}

const orgs = process.env.MADOTEST_ORGS;
const mtlsPort = process.env.MADOTEST_MTLS_PORT;
const db = process.env.MADOTEST_DB;

// The welfare office's pseudonym for the person whose push consent was given last.
function pseudonym() {
  return execFileSync('psql', ['-XAtq', db, '-c',
    "SELECT s.pseudonym FROM portal.pseudonyms s JOIN portal.consents c ON c.person_id ="
    + " s.person_id WHERE c.kind = 'push_notice' AND c.programme = 'benefit-eligibility'"
    + " AND s.org_code = 'city-welfare' ORDER BY c.created_at DESC LIMIT 1"], { encoding: 'utf8' }).trim();
}

// A push notice from the city welfare office's programme.
function push(person, title) {
  return agencyPost('city-welfare', '/gw/v1/notices', {
    programme: 'benefit-eligibility', person, title, body: 'Please apply at the counter.',
  });
}

async function login(page) {
  await page.goto('/#/login');
  await page.waitForSelector('#login-demo-cards button[data-card="demo-rsa"]');
  await page.click('#login-demo-cards button[data-card="demo-rsa"]');
  await page.waitForSelector('body[data-session="in"]');
}

const item = '#push-list li.push-item[data-programme="benefit-eligibility"]';

async function run({ open, artifacts }, { locale, width, words }) {
  expect(orgs && mtlsPort && db, 'run with mado-testenv --access');
  const page = await open({ locale, width, height: 800 });
  await login(page);
  await page.goto('/#/notices');
  await page.waitForSelector(`${item}[data-on="false"]`);
  const terms = await page.textContent(item);
  expect(terms.includes(words.programme), `the programme is not named: "${terms}"`);
  expect(terms.includes(words.org), 'the programme does not name its office');
  expect(terms.includes(words.max), `the monthly limit is not stated: "${terms}"`);
  expect((await page.textContent('#push-entitlement')).includes(words.entitlement),
    'the page does not say that refusing never affects an entitlement');
  const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(scroll <= width, `the Notices page is ${scroll} px wide on a ${width} px screen`);
  await page.screenshot({ path: path.join(artifacts, `push-${locale}-${width}.png`), fullPage: true });

  // On: a notice arrives.
  await page.click(`${item} button`);
  await page.waitForSelector(`${item}[data-on="true"]`);
  const person = pseudonym();
  expect(person.length > 0, 'no pseudonym for the person');
  const sent = await push(person, `Eligible ${width}`);
  expect(sent.status === 204, `the notice under consent answered ${sent.status}`);
  await page.reload();
  await page.waitForSelector(`#notices-list li.notice-item.push`);
  expect((await page.textContent('#notices-list')).includes(`Eligible ${width}`), 'the notice did not arrive');

  // Off: the next notice is refused, and the person sees the refusal in their log.
  await page.click(`${item}[data-on="true"] button`);
  await page.waitForSelector(`${item}[data-on="false"]`);
  const refused = await push(person, `Refused ${width}`);
  expect(refused.status === 403 && refused.body.reason === 'no-consent',
    `after turning off the notice answered ${refused.status} ${refused.body.reason}`);
  await page.reload();
  await page.waitForSelector('#notices-list li.notice-item.push');
  expect(!(await page.textContent('#notices-list')).includes(`Refused ${width}`), 'the refused notice was delivered');
  const log = await page.evaluate(async () => {
    const r = await fetch('/api/v1/me/access-log?channel=push&outcome=denied', { credentials: 'same-origin' });
    return r.json();
  });
  expect(log.items.length > 0 && log.items[0].reason === 'no-consent' && log.items[0].organisation === 'city-welfare',
    'the refused notice is not in the person\'s access log');
}

export const checks = [
  {
    name: 'turn a push programme on, a notice arrives; off, the next is refused and recorded (ja, 360 px)',
    run: (h) => run(h, {
      locale: 'ja-JP', width: 360,
      words: { programme: '給付の受給資格のお知らせ', org: '市福祉事務所', max: '1か月に最大4件', entitlement: '権利には一切影響しません' },
    }),
  },
  {
    name: 'the same at 1280 px in English',
    run: (h) => run(h, {
      locale: 'en-GB', width: 1280,
      words: { programme: 'Benefit eligibility notices', org: 'City Welfare Office', max: 'At most 4 notices a month', entitlement: 'never affects' },
    }),
  },
];
