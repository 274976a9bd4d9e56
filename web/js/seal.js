// Sealed answers, opened in the browser: the page makes a one-time reply key, sends its
// public half with the query, and opens the holder's sealed answer itself, so Mado, which
// relays the answer, never reads it. The construction is the C library's
// (include/mado/seal.h, docs/holders.md): ECDH P-256, HKDF-SHA-256 with salt
// enc || recipient point and info "mado-seal-v1" to 44 bytes, AES-256-GCM with key
// okm[0..32], nonce okm[32..44] and the access record's id as additional data.
// WebCrypto only; it runs in node too (tests/unit/seal_vector.mjs).

const subtle = globalThis.crypto.subtle;
const CURVE = { name: 'ECDH', namedCurve: 'P-256' };
const INFO = new TextEncoder().encode('mado-seal-v1');
const POINT_LEN = 65; // 0x04 || X || Y
const POINT_TEXT_LEN = 87; // its base64url, no padding
const TAG_LEN = 16;

function toB64url(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

// Strict, as the C library reads it: base64url's alphabet, no padding, and canonical (atob
// alone takes more, and ignores the unused bits of the last character).
function fromB64url(s) {
  if (!/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) throw new Error('not base64url');
  const b = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4));
  const bytes = Uint8Array.from(b, (c) => c.charCodeAt(0));
  if (toB64url(bytes) !== s) throw new Error('not base64url');
  return bytes;
}

// A fresh reply key for one query: { priv, raw, text }. priv cannot be exported, so the
// page's scripts can use it but not copy it out; raw is the public point (the salt needs
// it when opening) and text its base64url, sent as the query's reply key.
export async function replyKey() {
  const pair = await subtle.generateKey(CURVE, false, ['deriveBits']);
  const raw = new Uint8Array(await subtle.exportKey('raw', pair.publicKey));
  return { priv: pair.privateKey, raw, text: toB64url(raw) };
}

// The 44 bytes of key and nonce for a sealed text's ephemeral point enc.
async function derive(key, enc) {
  const peer = await subtle.importKey('raw', enc, CURVE, false, []);
  const z = await subtle.deriveBits({ name: 'ECDH', public: peer }, key.priv, 256);
  const ikm = await subtle.importKey('raw', z, 'HKDF', false, ['deriveBits']);
  const salt = new Uint8Array(2 * POINT_LEN);
  salt.set(enc, 0);
  salt.set(key.raw, POINT_LEN);
  const params = { name: 'HKDF', hash: 'SHA-256', salt, info: INFO };
  return new Uint8Array(await subtle.deriveBits(params, ikm, 44 * 8));
}

// Opens "<b64url enc>.<b64url ciphertext||tag>" with the reply key replyKey returned
// ({ priv, raw }), bound to aad (the access record's id): the plaintext as a string.
// Rejects when anything does not hold (shape, key, aad, tag, UTF-8).
export async function openSealed(key, aad, sealed) {
  const parts = String(sealed).split('.');
  if (parts.length !== 2 || parts[0].length !== POINT_TEXT_LEN) throw new Error('not a sealed text');
  const enc = fromB64url(parts[0]);
  const ct = fromB64url(parts[1]);
  if (enc[0] !== 4 || ct.length < TAG_LEN || !(key.raw instanceof Uint8Array) || key.raw.length !== POINT_LEN) {
    throw new Error('not a sealed text');
  }
  const okm = await derive(key, enc);
  const aes = await subtle.importKey('raw', okm.slice(0, 32), 'AES-GCM', false, ['decrypt']);
  const gcm = { name: 'AES-GCM', iv: okm.slice(32, 44), additionalData: new TextEncoder().encode(aad), tagLength: 128 };
  const plain = await subtle.decrypt(gcm, aes, ct);
  return new TextDecoder('utf-8', { fatal: true }).decode(plain);
}
