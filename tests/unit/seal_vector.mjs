// The browser's opening of sealed answers (web/js/seal.js) against the known answer the C
// library sealed once (tests/data/seal: the recipient's key, the aad, the plaintext and the
// sealed text; tests/unit/test_seal.c opens the same text in C). If either side changes
// the construction, one of the two fails. Also: a reply key as replyKey makes it, and the
// refusals (another aad, another key, a changed character, a cut text).
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openSealed, replyKey } from '../../web/js/seal.js';

const subtle = globalThis.crypto.subtle;
const data = (name) => readFileSync(fileURLToPath(new URL(`../data/seal/${name}`, import.meta.url)), 'utf8');
const line = (name) => data(name).replace(/\n$/, '');

// The recipient as a page would hold it: a non-extractable private key and the raw point.
async function recipient(pem) {
  const der = Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
  const priv = await subtle.importKey('pkcs8', der, { name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']);
  // The point read independently of WebCrypto, by node's own key parser.
  const jwk = createPublicKey(pem).export({ format: 'jwk' });
  const raw = new Uint8Array(65);
  raw[0] = 4;
  raw.set(Buffer.from(jwk.x, 'base64url'), 1);
  raw.set(Buffer.from(jwk.y, 'base64url'), 33);
  return { priv, raw };
}

async function refused(promise, what) {
  await assert.rejects(promise, undefined, what);
}

const key = await recipient(data('recipient.pem'));
const aad = line('aad.txt');
const plain = line('plaintext.json');
const sealed = line('sealed.txt');

assert.equal(await openSealed(key, aad, sealed), plain, 'the known answer opens to its plaintext');
assert.ok(JSON.parse(plain).items, 'the plaintext is the holder answer JSON');

await refused(openSealed(key, aad.replace(/.$/, (c) => (c === '0' ? '1' : '0')), sealed), 'another aad');
await refused(openSealed(key, '', sealed), 'no aad');
const other = await replyKey();
await refused(openSealed(other, aad, sealed), 'another key');
await refused(openSealed({ priv: key.priv, raw: other.raw }, aad, sealed), 'another recipient point in the salt');
// Every position: the last character of each part carries unused bits, which count too.
for (let at = 0; at < sealed.length; at++) {
  if (sealed[at] === '.') continue;
  const changed = sealed.slice(0, at) + (sealed[at] === 'A' ? 'B' : 'A') + sealed.slice(at + 1);
  await refused(openSealed(key, aad, changed), `character ${at} changed`);
}
await refused(openSealed(key, aad, sealed.slice(0, -4)), 'cut');
await refused(openSealed(key, aad, sealed.slice(0, 87)), 'no ciphertext');
await refused(openSealed(key, aad, 'garbage'), 'garbage');
await refused(openSealed(key, aad, `${sealed}.AAAA`), 'a third part');

// A reply key: a non-extractable private key, its point as 87 base64url characters.
const k = await replyKey();
assert.equal(k.priv.extractable, false);
assert.equal(k.raw.length, 65);
assert.equal(k.raw[0], 4);
assert.match(k.text, /^[A-Za-z0-9_-]{87}$/);
assert.deepEqual(new Uint8Array(Buffer.from(k.text, 'base64url')), k.raw);

console.log('seal.js: the known answer opens, every refusal holds, reply keys as specified');
