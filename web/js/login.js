// The login page: the card through the Web eID extension, the card's certificate in the
// TLS handshake, a passkey added with the card, the phone (a QR code), or (in the demo
// only) a virtual card. Every failure is explained.
import { api, Problem } from './api.js';
import { loggedIn } from './session.js';
import { t } from './i18n.js';
import { hasWebeid, webeidToken } from './webeid.js';
import { passkeyLogin, passkeysSupported, startCrossDevice } from './passkey.js';

let about = null;

function showError(type, reason) {
  const el = document.getElementById('login-error');
  if (!type) {
    el.hidden = true;
    el.textContent = '';
    return;
  }
  const key = `login.error.${type}`;
  const text = t(key);
  const rkey = `reason.${reason}`;
  el.textContent = (text === key ? t('login.error.other') : text) +
    (reason && t(rkey) !== rkey ? ` (${t(rkey)})` : '');
  el.dataset.type = type;
  el.hidden = false;
}

// A card-reading app on this device: a hand-off made with the challenge gives the app's
// link; the app posts its token for this browser's session, and the page asks until the
// login is done (also when the app sends the person back to #/login?handoff=1).
let appTimer = null;

// Made only when asked: a hand-off takes this browser's challenge, which another way of
// logging in (a passkey, the extension) would otherwise be racing for.
async function prepareApp() {
  showError('');
  try {
    const shared = document.getElementById('login-shared').checked;
    const r = await api('POST', `/api/v1/auth/handoff${shared ? '?shared=true' : ''}`);
    document.getElementById('login-app-link').href = r.app_link;
    document.getElementById('login-app-open').hidden = false;
  } catch (e) {
    showError(e instanceof Problem ? e.type : 'other', e.reason);
  }
}

function waitForApp() {
  const waiting = document.getElementById('login-app-waiting');
  waiting.hidden = false;
  if (appTimer) clearTimeout(appTimer);
  const poll = async () => {
    appTimer = null;
    if (!location.hash.startsWith('#/login')) return;
    try {
      const r = await api('POST', '/api/v1/auth/handoff/poll');
      if (r.status === 'waiting') {
        appTimer = setTimeout(poll, 2000);
        return;
      }
      waiting.hidden = true;
      await loggedIn(r);
      location.hash = '#/';
    } catch (e) {
      waiting.hidden = true;
      showError(e instanceof Problem ? e.type : 'other', e.reason);
    }
  };
  appTimer = setTimeout(poll, 1000);
}

// Challenge, a token from the card, then the login itself.
async function loginWith(makeToken) {
  showError('');
  try {
    // "This is a shared computer": the session ends sooner when left alone.
    const shared = document.getElementById('login-shared').checked;
    const { nonce } = await api('POST', `/api/v1/auth/challenge${shared ? '?shared=true' : ''}`);
    const token = await makeToken(nonce);
    const result = await api('POST', '/api/v1/auth/webeid', token);
    await loggedIn(result);
    const back = sessionStorage.getItem('mado.after-login');
    sessionStorage.removeItem('mado.after-login');
    location.hash = back && back.startsWith('#/') ? back : '#/';
  } catch (e) {
    showError(e instanceof Problem ? e.type : 'other');
  }
}

function demoCardButton(card) {
  const li = document.createElement('li');
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'secondary';
  b.dataset.card = card.name;
  b.textContent = `${card.name} (${card.key})`;
  b.addEventListener('click', () =>
    loginWith(async (nonce) => {
      const token = await api('POST', `/api/v1/demo/cards/${encodeURIComponent(card.name)}/token`, { nonce });
      return JSON.stringify(token);
    }));
  li.append(b);
  return li;
}

// The card in a session opened otherwise or long enough ago (the step-up): the person
// picks, in list, the card reader or, in the demo, a virtual card. Resolves with a maker
// of the token for a nonce, or null.
export async function chooseCard(list) {
  const options = [];
  if (await hasWebeid()) options.push({ label: t('login.webeid.button'), make: webeidToken });
  if (!about) about = await api('GET', '/api/v1/about').catch(() => ({}));
  if (about.demo_cards) {
    const { cards } = await api('GET', '/api/v1/demo/cards').catch(() => ({ cards: [] }));
    for (const c of cards)
      options.push({
        label: `${c.name} (${c.key})`,
        card: c.name,
        make: async (nonce) => JSON.stringify(
          await api('POST', `/api/v1/demo/cards/${encodeURIComponent(c.name)}/token`, { nonce })),
      });
  }
  return new Promise((resolve) => {
    const items = options.map((o) => {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'secondary';
      if (o.card) b.dataset.card = o.card;
      b.textContent = o.label;
      b.addEventListener('click', () => resolve(o.make));
      li.append(b);
      return li;
    });
    const li = document.createElement('li');
    const cancel = document.createElement('button');
    cancel.type = 'button';
    cancel.className = 'secondary';
    cancel.textContent = t('step-up.cancel');
    cancel.addEventListener('click', () => resolve(null));
    li.append(cancel);
    list.replaceChildren(...items, li);
  });
}

export async function showLogin(params) {
  showError(params.get('error') || '');
  if (!about) about = await api('GET', '/api/v1/about').catch(() => ({}));
  document.getElementById('login-unavailable').hidden = about.card_login !== false;

  const tls = document.getElementById('login-tls');
  tls.hidden = !about.tls_login_url;
  if (about.tls_login_url) document.getElementById('login-tls-link').href = about.tls_login_url;

  document.getElementById('login-passkey').hidden = !passkeysSupported();

  const webeidBox = document.getElementById('login-webeid');
  webeidBox.hidden = !(await hasWebeid());

  document.getElementById('login-app').hidden = about.card_login === false;
  document.getElementById('login-app-open').hidden = true;
  if (params.get('handoff') === '1') waitForApp();

  const demo = document.getElementById('login-demo');
  const list = document.getElementById('login-demo-cards');
  demo.hidden = true;
  if (about.demo_cards) {
    const { cards } = await api('GET', '/api/v1/demo/cards').catch(() => ({ cards: [] }));
    list.replaceChildren(...cards.map(demoCardButton));
    demo.hidden = cards.length === 0;
  }
}

export function initLogin() {
  document.getElementById('login-webeid-button').addEventListener('click', () => loginWith(webeidToken));
  const shared = () => document.getElementById('login-shared').checked;
  document.getElementById('login-passkey-button').addEventListener('click', () => passkeyLogin(shared(), showError));
  document.getElementById('login-qr-button').addEventListener('click', () => startCrossDevice(shared()));
  document.getElementById('login-app-button').addEventListener('click', prepareApp);
  // The link opens the app; the page waits here for its token.
  document.getElementById('login-app-link').addEventListener('click', () => waitForApp());
}
