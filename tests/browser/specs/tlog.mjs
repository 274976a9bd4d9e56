// The transparency log in the browser: an access entry's "verify" checks the bundle with
// WebCrypto and says "verified" only when it really checked the proof, the log's
// signature and the witness's cosignature; an entry a database superuser changed, or a
// cosignature changed on the way, is not verified; the page that explains what this
// proves. The environment (mado-testenv --access) sequences the log, and every published
// checkpoint needs its witness (witness.test).
import path from 'node:path';
import { execFileSync } from 'node:child_process';

function expect(cond, what) {
  if (!cond) throw new Error(what);
}

function sql(query) {
  return execFileSync('psql', ['-XAtq', process.env.MADOTEST_DB, '-c', query], { encoding: 'utf8' }).trim();
}

async function login(page) {
  await page.goto('/#/login');
  await page.waitForSelector('#login-demo-cards button[data-card="demo-rsa"]');
  await page.click('#login-demo-cards button[data-card="demo-rsa"]');
  await page.waitForSelector('body[data-session="in"]');
}

// An entry of the person's that is not sealed (its bundle is given).
async function openEntry(page) {
  const id = await page.evaluate(async () => {
    const r = await fetch('/api/v1/me/access-log?limit=50', { credentials: 'same-origin' });
    const j = await r.json();
    return j.items.find((e) => !e.sealed && e.channel !== 'self').id;
  });
  await page.goto(`/#/access-entry?id=${id}`);
  await page.waitForSelector('#tlog-box:not([hidden])');
  return id;
}

// Clicks "verify" until the entry is in a published checkpoint; the result's class and text.
async function verify(page) {
  for (let i = 0; i < 40; i++) {
    await page.click('#tlog-verify');
    await page.waitForFunction(() => {
      const r = document.querySelector('#tlog-result');
      return !r.hidden && /\b(ok|error)\b/.test(r.className);
    });
    const cls = await page.getAttribute('#tlog-result', 'class');
    const text = await page.textContent('#tlog-result');
    if (!/まだ公開済み|not in a published checkpoint yet/.test(text)) return { cls, text };
    await page.waitForTimeout(250);
  }
  throw new Error('the entry never reached a published checkpoint');
}

export const checks = [
  {
    name: 'verify an access entry in the browser; a changed entry or cosignature is not verified',
    async run({ open, artifacts }) {
      const page = await open({ locale: 'ja-JP', width: 360 });
      await login(page);
      const id = await openEntry(page);
      const ed25519 = await page.evaluate(async () => {
        try {
          await crypto.subtle.importKey('raw', new Uint8Array(32), { name: 'Ed25519' }, false, ['verify']);
          return true;
        } catch {
          return false;
        }
      });
      let r = await verify(page);
      if (ed25519) {
        expect(/\bok\b/.test(r.cls) && r.text.includes('確認済み') && r.text.includes('1 人の立会人'),
          `not verified with the witness: ${r.text}`);
      } else {
        expect(!r.text.includes('確認済み') && r.text.includes('Ed25519'),
          `without Ed25519 the page says: ${r.text}`);
      }
      expect(!(await page.isHidden('#tlog-download')), 'no download link for the proof');
      await page.screenshot({ path: path.join(artifacts, 'tlog-verified-ja-360.png'), fullPage: true });

      // The witness's cosignature with one bit changed on the way: not verified.
      if (ed25519) {
        let forged = false;
        await page.route('**/api/v1/me/access-log/*/proof', async (route) => {
          const res = await route.fetch();
          const b = await res.json();
          b.proof = b.proof.replace(/^(\u2014 witness\.test )(\S+)$/m, (m, head, sig) => {
            const bytes = Buffer.from(sig, 'base64');
            bytes[bytes.length - 1] ^= 1;
            forged = true;
            return head + bytes.toString('base64');
          });
          await route.fulfill({ response: res, json: b });
        });
        r = await verify(page);
        await page.unroute('**/api/v1/me/access-log/*/proof');
        expect(forged, 'the bundle has no cosignature of witness.test');
        expect(/\berror\b/.test(r.cls) && !r.text.includes('確認済み') && r.text.includes('確認できませんでした'),
          `a forged cosignature shows: ${r.text}`);
      }

      // A superuser changes the entry's purpose: the bundle no longer verifies.
      const purpose = sql(`SELECT purpose FROM portal.access_events WHERE id = ${id}`);
      sql(`SET session_replication_role = replica; UPDATE portal.access_events SET purpose = 'forged' WHERE id = ${id}`);
      try {
        r = await verify(page);
        expect(/\berror\b/.test(r.cls) && !r.text.includes('確認済み') && r.text.includes('確認できませんでした'),
          `a changed entry shows: ${r.text}`);
      } finally {
        sql(`SET session_replication_role = replica; UPDATE portal.access_events SET purpose = '${purpose}' WHERE id = ${id}`);
      }
      r = await verify(page);
      if (ed25519) expect(r.text.includes('確認済み'), `restored, not verified: ${r.text}`);
    },
  },
  {
    name: 'the page that explains the log and offline verification, in English',
    async run({ open }) {
      const page = await open({ locale: 'en-GB', width: 360 });
      await page.goto('/#/tlog-about');
      await page.waitForSelector('[data-view="tlog-about"]:not([hidden])');
      const text = await page.textContent('[data-view="tlog-about"]');
      expect(text.includes('mado-verify') && text.includes('/.well-known/mado-tlog-vkey') &&
        text.includes('/.well-known/mado-tlog-witnesses'), 'the page does not say how to verify offline');
    },
  },
];
