// Browser test runner: launches Debian's chromium through playwright-core (never a
// downloaded browser), runs every check exported by specs/*.mjs against MADOTEST_URL,
// prints TAP-like lines and a closing "N passed, N failed" line.
//
//   MADOTEST_URL=https://127.0.0.1:PORT [MADOTEST_ARTIFACTS=dir] node run.mjs [filter]
import { readdir, mkdir } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const base = process.env.MADOTEST_URL;
if (!base) {
  console.error('MADOTEST_URL is not set (mado-testenv sets it)');
  process.exit(1);
}
const artifacts = process.env.MADOTEST_ARTIFACTS || mkdtempSync(path.join(tmpdir(), 'mado-browser-'));
await mkdir(artifacts, { recursive: true });
const filter = process.argv[2] || '';

// Service workers refuse a script whose certificate has an error, which ignoreHTTPSErrors
// alone leaves them; the test server's certificate is self-signed.
const trust = ['--ignore-certificate-errors'];
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', ...trust],
});

// Each check gets a fresh context (own cookies and storage) and a page that records
// console errors, page errors and CSP violations; any of them fails the check.
// A phone: { isMobile, hasTouch, userAgent } as well (specs/passkey.mjs).
async function newPage({ locale = 'ja-JP', width = 360, height = 740, deviceScaleFactor = 1,
  clientCertificates, isMobile = false, hasTouch = false, userAgent } = {}) {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true, // the test server's certificate is self-signed
    locale,
    viewport: { width, height },
    deviceScaleFactor,
    isMobile,
    hasTouch,
    ...(userAgent ? { userAgent } : {}),
    baseURL: base,
    // A staff certificate for the TLS login listener (the desk terminal's login).
    ...(clientCertificates ? { clientCertificates } : {}),
  });
  const page = await context.newPage();
  page.problems = [];
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    // The browser logs every 4xx answer; the API answers problems on purpose (401 before
    // login), so only those from /api/ and /staff/ are expected. Anything else fails the check.
    const url = m.location().url || '';
    if (m.text().startsWith('Failed to load resource') && (url.includes('/api/') || url.includes('/staff/'))) return;
    page.problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return { context, page };
}

const specs = (await readdir(path.join(here, 'specs'))).filter((f) => f.endsWith('.mjs')).sort();
let passed = 0;
let failed = 0;
for (const file of specs) {
  const { checks } = await import(path.join(here, 'specs', file));
  for (const check of checks) {
    const name = `${file.replace(/\.mjs$/, '')}: ${check.name}`;
    if (!name.includes(filter)) continue;
    let ctx = null;
    const started = Date.now();
    // The seconds each check took, so the slow ones stand out in a run's log.
    const took = () => `(${((Date.now() - started) / 1000).toFixed(1)} s)`;
    try {
      const helpers = {
        base,
        artifacts,
        open: async (opts) => {
          ctx = await newPage(opts);
          return ctx.page;
        },
      };
      await check.run(helpers);
      if (ctx && ctx.page.problems.length) throw new Error(ctx.page.problems.join('; '));
      console.log(`ok - ${name} ${took()}`);
      passed++;
    } catch (e) {
      console.log(`not ok - ${name}: ${e.message.split('\n')[0]} ${took()}`);
      failed++;
    } finally {
      if (ctx) await ctx.context.close();
    }
  }
}
await browser.close();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
