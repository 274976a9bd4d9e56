// Checks a transparency-log bundle in the browser, as mado-verify does offline
// (docs/tlog.md): the leaf recomputed from the record and its salt, the inclusion path up
// to the checkpoint's root (SHA-256 with WebCrypto), the log's Ed25519 signature on the
// checkpoint and the witnesses' cosignatures (C2SP tlog-cosignature), where this
// browser's WebCrypto has Ed25519. "verified" only when all of it held.

const FIELDS = {
  access: ['id', 'event_id', 'person_id', 'occurred_at', 'recorded_at', 'org_code', 'relay_for',
    'officer', 'officer_role', 'actor_kind', 'channel', 'purpose', 'legal_ref', 'case_ref',
    'items', 'consent_id', 'outcome', 'reason', 'sealed_until', 'sealing_body',
    'register_version'],
  consent: ['id', 'consent_id', 'person_id', 'at', 'actor', 'channel', 'type', 'prev_status',
    'new_status'],
};

const enc = new TextEncoder();

function fromB64(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function concat(parts) {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function u32(n) {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

function str(s) {
  const b = enc.encode(s);
  return concat([u32(b.length), b]);
}

// The canonical leaf bytes (docs/tlog.md, "Leaves").
export function leafBytes(kind, record, salt) {
  const fields = FIELDS[kind];
  if (!fields) throw new Error(`unknown kind ${kind}`);
  if (Object.keys(record).length !== fields.length) throw new Error('the record has other fields');
  const parts = [str('mado-tlog-leaf/v1'), str(kind), salt, u32(fields.length)];
  for (const f of fields) {
    if (!(f in record)) throw new Error(`the record has no ${f}`);
    const v = record[f];
    parts.push(str(f));
    if (v === null) {
      parts.push(Uint8Array.of(0));
    } else if (typeof v === 'string') {
      parts.push(Uint8Array.of(1), str(v));
    } else if (typeof v === 'number' && Number.isInteger(v)) {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigInt64(0, BigInt(v));
      parts.push(Uint8Array.of(2), b);
    } else if (typeof v === 'boolean') {
      parts.push(Uint8Array.of(v ? 4 : 3));
    } else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) {
      parts.push(Uint8Array.of(5), u32(v.length), ...v.map(str));
    } else {
      throw new Error(`${f} has a value a leaf cannot hold`);
    }
  }
  return concat(parts);
}

async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}
const leafHash = (d) => sha256(concat([Uint8Array.of(0), d]));
const nodeHash = (l, r) => sha256(concat([Uint8Array.of(1), l, r]));

function equal(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

// RFC 9162 section 2.1.3.2 (BigInt: indexes go past 2^32).
async function inclusionRoot(index, size, leaf, path) {
  let fn = BigInt(index);
  let sn = BigInt(size) - 1n;
  if (fn > sn) throw new Error('the index is outside the tree');
  let r = leaf;
  for (const p of path) {
    if (sn === 0n) throw new Error('the proof is too long');
    if ((fn & 1n) || fn === sn) {
      r = await nodeHash(p, r);
      if (!(fn & 1n)) while (!(fn & 1n) && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new Error('the proof is too short');
  return r;
}

// "c2sp.org/tlog-proof@v1", [extra ...], "index N", hashes, "", the note.
export function parseProof(text) {
  const lines = text.split('\n');
  if (lines[0] !== 'c2sp.org/tlog-proof@v1') throw new Error('not a tlog-proof');
  let i = 1;
  while (lines[i] && lines[i].startsWith('extra ')) i++;
  const m = /^index (\d+)$/.exec(lines[i] || '');
  if (!m) throw new Error('no index line');
  i++;
  const path = [];
  for (; i < lines.length && lines[i] !== ''; i++) path.push(fromB64(lines[i]));
  return { index: Number(m[1]), path, note: lines.slice(i + 1).join('\n') };
}

// A signed note: its text (up to the last empty line) and signature lines.
export function parseNote(note) {
  const at = note.lastIndexOf('\n\n');
  if (at < 0) throw new Error('the checkpoint is not a signed note');
  const text = note.slice(0, at + 1);
  const [origin, size, root] = text.split('\n');
  const sigs = note.slice(at + 2).split('\n').filter(Boolean).map((l) => {
    const m = /^\u2014 (\S+) (\S+)$/.exec(l);
    if (!m) throw new Error('a signature line is malformed');
    return { name: m[1], bytes: fromB64(m[2]) };
  });
  return { text, origin, size: Number(size), root: fromB64(root || ''), sigs };
}

// A verifier key, name+id+key (the key's base64 may itself hold '+'), of the given type
// (1: a log's Ed25519 key, 4: a witness's cosignature key).
function parseVkey(vkey, type, what) {
  const m = /^([^+]+)\+([0-9a-f]{8})\+(.+)$/.exec(vkey.trim());
  if (!m) throw new Error(`${what} is not a vkey`);
  const raw = fromB64(m[3]);
  if (raw[0] !== type || raw.length !== 33) throw new Error(`${what} is not an Ed25519 vkey`);
  return { name: m[1], id: m[2], pub: raw.slice(1) };
}

// The note's signature line of the key, or undefined.
function signatureOf(note, key) {
  const hex = (b) => Array.from(b.slice(0, 4), (x) => x.toString(16).padStart(2, '0')).join('');
  return note.sigs.find((s) => s.name === key.name && hex(s.bytes) === key.id);
}

// true when the signature holds, false when not, null when this browser has no Ed25519.
async function ed25519(pub, sig, msg) {
  let k;
  try {
    k = await crypto.subtle.importKey('raw', pub, { name: 'Ed25519' }, false, ['verify']);
  } catch {
    return null;
  }
  return crypto.subtle.verify({ name: 'Ed25519' }, k, sig, msg);
}

// "signed": the log's signature holds; "unsupported": this browser cannot check Ed25519;
// otherwise an Error.
async function checkSignature(note, vkey) {
  const key = parseVkey(vkey, 1, 'the log key');
  const sig = signatureOf(note, key);
  if (!sig) throw new Error('the checkpoint is not signed by the log');
  if (note.origin !== key.name) throw new Error('the checkpoint is of another log');
  const ok = await ed25519(key.pub, sig.bytes.slice(4), enc.encode(note.text));
  if (ok === null) return 'unsupported';
  if (!ok) throw new Error("the log's signature does not verify");
  return 'signed';
}

// How many of the witnesses cosigned the checkpoint, each cosignature checked (its bytes:
// key id, 8-byte time, signature over "cosignature/v1\ntime <t>\n" and the note's text);
// null when this browser cannot check Ed25519. A known witness's bad line is an Error.
async function checkCosignatures(note, witnesses) {
  let n = 0;
  for (const vkey of witnesses) {
    const key = parseVkey(vkey, 4, 'a witness key');
    const sig = signatureOf(note, key);
    if (!sig) continue;
    if (sig.bytes.length !== 4 + 8 + 64) throw new Error("a witness's cosignature is malformed");
    const time = new DataView(sig.bytes.buffer, sig.bytes.byteOffset + 4, 8).getBigUint64(0);
    if (time >= 1n << 63n) throw new Error("a witness's cosignature has a time beyond 2^63 - 1");
    const msg = enc.encode(`cosignature/v1\ntime ${time}\n${note.text}`);
    const ok = await ed25519(key.pub, sig.bytes.slice(12), msg);
    if (ok === null) return null;
    if (!ok) throw new Error("a witness's cosignature does not verify");
    n++;
  }
  return n;
}

// trust: { vkey: the log's key, witnesses: their vkeys, needed: how many must cosign }.
// { status: 'verified' | 'unsigned' | 'failed', reason, size, witnesses }
export async function verifyBundle(bundle, trust) {
  try {
    const proof = parseProof(bundle.proof);
    if (proof.index !== bundle.index) throw new Error('the proof is for another leaf');
    const note = parseNote(proof.note);
    const leaf = await leafHash(leafBytes(bundle.kind, bundle.record, fromB64(bundle.salt)));
    const root = await inclusionRoot(proof.index, note.size, leaf, proof.path);
    if (!equal(root, note.root)) throw new Error("the record is not in the checkpoint's tree");
    const sig = await checkSignature(note, trust.vkey);
    const witnesses = sig === 'signed' ? await checkCosignatures(note, trust.witnesses) : null;
    if (witnesses === null) return { status: 'unsigned', size: note.size };
    if (witnesses < trust.needed) throw new Error('too few witnesses cosigned the checkpoint');
    return { status: 'verified', size: note.size, witnesses };
  } catch (err) {
    return { status: 'failed', reason: err.message };
  }
}
