// Devices bound to the card: passkey login, "log in on this computer with your phone"
// (a QR code and a number), the phone's side of it, and "my devices" (add, list, remove).
// Adding a device needs the card in the session: after a passkey login the page asks
// for it (the step-up) and then goes on.
import { api, Problem } from './api.js';
import { withCard } from './stepup.js';
import { loggedIn, refresh } from './session.js';
import { t, lang } from './i18n.js';

// base64url <-> bytes, as WebAuthn's JSON carries them.
function fromB64url(s) {
  const b = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4));
  return Uint8Array.from(b, (c) => c.charCodeAt(0));
}

function toB64url(buf) {
  const bytes = new Uint8Array(buf);
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function passkeysSupported() {
  return typeof window.PublicKeyCredential === 'function' && !!navigator.credentials;
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString(lang() === 'ja' ? 'ja-JP' : 'en-GB') : t('sessions.never');
}

function say(el, key, vars, kind) {
  el.textContent = t(key, vars || {});
  el.className = `notice ${kind || ''}`;
  el.hidden = false;
}

function problemText(e) {
  return e instanceof Problem ? e.message : t('login.error.other');
}

function afterLogin() {
  const back = sessionStorage.getItem('mado.after-login');
  sessionStorage.removeItem('mado.after-login');
  location.hash = back && back.startsWith('#/') ? back : '#/';
}

// --- login with a passkey ---

export async function passkeyLogin(shared, showError) {
  showError('');
  try {
    const o = await api('POST', `/api/v1/auth/passkey/challenge${shared ? '?shared=true' : ''}`);
    const cred = await navigator.credentials.get({
      publicKey: {
        challenge: fromB64url(o.challenge),
        rpId: o.rpId,
        userVerification: 'required',
        timeout: o.timeout,
        allowCredentials: [],
      },
    });
    const r = cred.response;
    const result = await api('POST', '/api/v1/auth/passkey', {
      credential_id: toB64url(cred.rawId),
      client_data_json: toB64url(r.clientDataJSON),
      authenticator_data: toB64url(r.authenticatorData),
      signature: toB64url(r.signature),
      ...(r.userHandle ? { user_handle: toB64url(r.userHandle) } : {}),
    });
    await loggedIn(result);
    afterLogin();
  } catch (e) {
    showError(e instanceof Problem ? e.type : 'passkey-cancelled', e instanceof Problem ? e.reason : '');
  }
}

// --- log in on this computer with the phone ---

let pollTimer = null;

function stopPolling() {
  if (pollTimer) clearTimeout(pollTimer);
  pollTimer = null;
}

export async function startCrossDevice(shared) {
  stopPolling();
  const box = document.getElementById('qr-box');
  const msg = document.getElementById('qr-message');
  msg.hidden = true;
  try {
    const c = await api('POST', `/api/v1/auth/cross-device${shared ? '?shared=true' : ''}`);
    // The server draws the QR code: an SVG of one path, nothing else.
    const doc = new DOMParser().parseFromString(c.svg, 'image/svg+xml');
    const svg = document.importNode(doc.documentElement, true);
    svg.setAttribute('aria-labelledby', 'qr-text-label');
    document.getElementById('qr-image').replaceChildren(svg);
    document.getElementById('qr-code').textContent = c.code.replace(/(.{4})(?=.)/g, '$1-');
    document.getElementById('qr-link').textContent = c.link;
    document.getElementById('qr-number').textContent = String(c.number);
    box.hidden = false;
    box.dataset.state = 'waiting';
    const until = Date.now() + c.expires_in * 1000;
    const poll = async () => {
      try {
        const r = await api('POST', '/api/v1/auth/cross-device/poll');
        if (r.status === 'logged_in') {
          box.dataset.state = 'done';
          await loggedIn(r);
          afterLogin();
          return;
        }
        if (Date.now() > until + 5000) throw new Problem(401, { type: 'urn:mado:problem:grant-invalid', reason: 'expired' });
        pollTimer = setTimeout(poll, 2000);
      } catch (e) {
        box.dataset.state = 'ended';
        document.getElementById('qr-image').replaceChildren();
        const reason = e instanceof Problem ? e.reason : '';
        say(msg, `qr.ended.${['expired', 'wrong-number', 'used'].includes(reason) ? reason : 'other'}`, {}, 'error');
      }
    };
    pollTimer = setTimeout(poll, 2000);
  } catch (e) {
    say(msg, 'qr.failed', { title: problemText(e) }, 'error');
  }
}

window.addEventListener('hashchange', () => {
  if (!location.hash.startsWith('#/login')) stopPolling();
});

// --- the phone: which computer asks, and the number ---

// The phone's side of a number check: which computer asks, and the numbers to choose
// from as buttons; choose(n) does what the choice is for and says how it went. The page's
// elements are `${id}-request`, `${id}-choices`, `${id}-ask` and the message box msgId.
async function askNumber(id, msgId, path, choose) {
  const detail = document.getElementById(`${id}-request`);
  const choices = document.getElementById(`${id}-choices`);
  const ask = document.getElementById(`${id}-ask`);
  const msg = document.getElementById(msgId);
  msg.hidden = true;
  detail.replaceChildren();
  choices.replaceChildren();
  ask.hidden = true;
  try {
    const r = await api('GET', path);
    const dl = document.createElement('dl');
    dl.className = 'facts';
    for (const [k, v] of [['qr.browser', r.browser || '—'], ['qr.when', when(r.requested_at)],
      ['qr.where', r.network || t('sessions.session.where-unknown')]]) {
      const dt = document.createElement('dt');
      dt.textContent = t(k);
      const dd = document.createElement('dd');
      dd.textContent = v;
      dl.append(dt, dd);
    }
    detail.append(dl);
    for (const n of r.choices) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'secondary number';
      b.dataset.number = String(n);
      b.textContent = String(n);
      b.addEventListener('click', async () => {
        for (const x of choices.querySelectorAll('button')) x.disabled = true;
        ask.hidden = true;
        await choose(n, msg);
      });
      choices.append(b);
    }
    ask.hidden = false;
  } catch (e) {
    const reason = e instanceof Problem ? e.reason : '';
    say(msg, `qr.ended.${['expired', 'wrong-number', 'used'].includes(reason) ? reason : 'other'}`, {}, 'error');
  }
}

function codeOf(params) {
  return encodeURIComponent((params.get('c') || '').toUpperCase().replace(/[^0-9A-Z]/g, ''));
}

export function showQr(params) {
  const path = `/api/v1/cross-device/${codeOf(params)}`;
  return askNumber('qr', 'qr-answer-message', path, async (n, msg) => {
    try {
      await api('POST', path, { number: n });
      say(msg, 'qr.approved', {}, 'ok');
    } catch (e) {
      say(msg, e instanceof Problem && e.reason === 'wrong-number' ? 'qr.ended.wrong-number' : 'qr.failed',
        { title: problemText(e) }, 'error');
    }
  });
}

// --- "Add this phone": the phone's side (not logged in) ---

async function createPhonePasskey(code, n) {
  const path = `/api/v1/add-phone/${code}`;
  const o = await api('POST', path, { number: n });
  const cred = await navigator.credentials.create({
    publicKey: {
      ...o,
      challenge: fromB64url(o.challenge),
      user: { ...o.user, id: fromB64url(o.user.id) },
      excludeCredentials: (o.excludeCredentials || []).map((c) => ({ ...c, id: fromB64url(c.id) })),
    },
  });
  return api('POST', `${path}/passkey`, {
    name: t('devices.default-name'),
    client_data_json: toB64url(cred.response.clientDataJSON),
    attestation_object: toB64url(cred.response.attestationObject),
  });
}

export function showAddPhone(params) {
  const code = codeOf(params);
  return askNumber('add-phone', 'add-phone-message', `/api/v1/add-phone/${code}`, async (n, msg) => {
    try {
      await loggedIn(await createPhonePasskey(code, n));
      afterLogin();
    } catch (e) {
      say(msg, e instanceof Problem && e.reason === 'wrong-number' ? 'qr.ended.wrong-number' : 'devices.failed',
        { title: e instanceof Problem ? problemText(e) : t('devices.cancelled') }, 'error');
    }
  });
}

// --- "Add this phone": the computer's side (a card session) ---

let phoneTimer = null;

async function showPhoneCode() {
  const msg = document.getElementById('devices-message');
  const box = document.getElementById('phone-box');
  if (phoneTimer) clearTimeout(phoneTimer);
  try {
    const c = await withCard(() => api('POST', '/api/v1/passkeys/phone-code'));
    const doc = new DOMParser().parseFromString(c.svg, 'image/svg+xml');
    const svg = document.importNode(doc.documentElement, true);
    svg.setAttribute('aria-labelledby', 'phone-text-label');
    document.getElementById('phone-image').replaceChildren(svg);
    document.getElementById('phone-link').textContent = c.link;
    document.getElementById('phone-number').textContent = String(c.number);
    box.hidden = false;
    // The phone's passkey shows in the list once it is made: the outcome, on this side.
    const before = (await api('GET', '/api/v1/passkeys')).items.length;
    const until = Date.now() + c.expires_in * 1000;
    const poll = async () => {
      if (!location.hash.startsWith('#/devices')) return;
      const { items } = await api('GET', '/api/v1/passkeys');
      if (items.length > before) {
        box.hidden = true;
        say(msg, 'devices.phone.added', {}, 'ok');
        await showDevices();
        return;
      }
      if (Date.now() > until) {
        box.hidden = true;
        say(msg, 'qr.ended.expired', {}, 'error');
        return;
      }
      phoneTimer = setTimeout(poll, 3000);
    };
    phoneTimer = setTimeout(poll, 3000);
  } catch (e) {
    say(msg, 'devices.failed', { title: problemText(e) }, 'error');
  }
}

// --- my devices ---

function line(key, value) {
  const p = document.createElement('p');
  const b = document.createElement('span');
  b.className = 'label';
  b.textContent = t(key);
  p.append(b, document.createTextNode(` ${value}`));
  return p;
}

function deviceItem(d) {
  const li = document.createElement('li');
  li.className = 'card';
  li.dataset.device = d.id;
  const h = document.createElement('h3');
  h.textContent = d.name;
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'secondary';
  b.textContent = t('devices.remove');
  b.setAttribute('aria-label', t('devices.remove-named', { name: d.name }));
  b.addEventListener('click', async () => {
    b.disabled = true;
    const msg = document.getElementById('devices-message');
    try {
      await api('DELETE', `/api/v1/passkeys/${encodeURIComponent(d.id)}`);
      say(msg, 'devices.removed', { name: d.name }, 'ok');
    } catch (e) {
      say(msg, 'devices.failed', { title: problemText(e) }, 'error');
    }
    // Removing the device this session came with ends the session too.
    if (!(await refresh())) location.hash = '#/login';
    else await showDevices();
  });
  li.append(h, line('devices.added', when(d.added_at)), line('devices.used', when(d.last_used_at)), b);
  return li;
}

export async function showDevices() {
  const { items } = await api('GET', '/api/v1/passkeys');
  document.getElementById('devices-list').replaceChildren(...items.map(deviceItem));
  document.getElementById('devices-empty').hidden = items.length > 0;
  document.getElementById('devices-add').hidden = !passkeysSupported();
  document.getElementById('devices-unsupported').hidden = passkeysSupported();
}

async function createPasskey(name) {
  const o = await api('POST', '/api/v1/passkeys/options');
  const cred = await navigator.credentials.create({
    publicKey: {
      ...o,
      challenge: fromB64url(o.challenge),
      user: { ...o.user, id: fromB64url(o.user.id) },
      excludeCredentials: (o.excludeCredentials || []).map((c) => ({ ...c, id: fromB64url(c.id) })),
    },
  });
  await api('POST', '/api/v1/passkeys', {
    name,
    client_data_json: toB64url(cred.response.clientDataJSON),
    attestation_object: toB64url(cred.response.attestationObject),
  });
}

async function addDevice(ev) {
  ev.preventDefault();
  const msg = document.getElementById('devices-message');
  const name = document.getElementById('devices-name').value.trim() || t('devices.default-name');
  const button = document.getElementById('devices-add-button');
  button.disabled = true;
  try {
    await withCard(() => createPasskey(name));
    say(msg, 'devices.added-ok', { name }, 'ok');
    await showDevices();
  } catch (e) {
    say(msg, 'devices.failed', { title: e instanceof Problem ? problemText(e) : t('devices.cancelled') }, 'error');
  } finally {
    button.disabled = false;
  }
}

export function initPasskeys() {
  document.getElementById('devices-add').addEventListener('submit', addDevice);
  document.getElementById('devices-phone-button').addEventListener('click', showPhoneCode);
  document.getElementById('devices-code-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const c = document.getElementById('devices-code').value.toUpperCase().replace(/[^0-9A-Z]/g, '');
    location.hash = `#/qr?c=${encodeURIComponent(c)}`;
  });
}
