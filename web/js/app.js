// The page shell: language, hash routes, session state and the service status line.
// Views are <section data-view="..."> in index.html; pages that need a login send the
// resident to #/login first.
import { init as initI18n, setLang, t } from './i18n.js';
import { api, Problem } from './api.js';
import { refresh, session, logout } from './session.js';
import { initLogin, showLogin, chooseCard } from './login.js';
import { initLogins, showLogins } from './logins.js';
import { showSessions } from './sessions.js';
import { initIdle } from './idle.js';
import { initAccess, showAccess, showEntry, showSummary } from './access.js';
import { initNotices, showNotices } from './notices.js';
import { initConsents, showConsents, showConsent, showRequest } from './consents.js';
import { initMyData, showMyData } from './mydata.js';
import { initPasskeys, showDevices, showQr, setCardTokenMaker } from './passkey.js';
import { initOffline } from './offline.js';

const ROUTES = ['home', 'login', 'mydata', 'access-log', 'access-entry', 'consents', 'consent',
  'consent-request', 'notices', 'logins', 'sessions', 'devices', 'qr', 'offline'];
const PRIVATE = new Set(['mydata', 'access-log', 'access-entry', 'consents', 'consent',
  'consent-request', 'notices', 'logins', 'sessions', 'devices', 'qr']);
const SHOW = {
  home: () => (session() ? showSummary() : Promise.resolve()),
  login: showLogin,
  logins: showLogins,
  sessions: showSessions,
  devices: showDevices,
  qr: showQr,
  mydata: () => showMyData(),
  'access-log': showAccess,
  'access-entry': showEntry,
  notices: showNotices,
  consents: () => showConsents(),
  consent: showConsent,
  'consent-request': showRequest,
};
const NAV = { 'access-entry': 'access-log', consent: 'consents', 'consent-request': 'consents' };

// "#/login?error=card-expired" -> ["login", URLSearchParams("error=card-expired")]
function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [name, query] = raw.split('?');
  return [ROUTES.includes(name) ? name : 'home', new URLSearchParams(query || '')];
}

async function show() {
  let [route, params] = parseHash();
  // No connection and no session: the offline view says so instead of the login page.
  if (PRIVATE.has(route) && !session() && !navigator.onLine) route = 'offline';
  if (PRIVATE.has(route) && !session()) {
    // Come back here after logging in (a service's consent request, for one).
    sessionStorage.setItem('mado.after-login', location.hash);
    location.hash = '#/login';
    return;
  }
  for (const v of document.querySelectorAll('[data-view]')) v.hidden = v.dataset.view !== route;
  for (const a of document.querySelectorAll('[data-route]')) {
    if (a.dataset.route === (NAV[route] || route)) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  // A view is busy until its data is in: assistive technology waits, and so do tests.
  const view = document.querySelector(`[data-view="${route}"]`);
  if (view) view.setAttribute('aria-busy', 'true');
  if (SHOW[route]) await SHOW[route](params).catch(() => {});
  if (view) view.setAttribute('aria-busy', 'false');
}

function renderSession() {
  const s = session();
  document.body.dataset.session = s ? 'in' : 'out';
  document.getElementById('logout').hidden = !s;
  document.getElementById('login-link').hidden = !!s;
  document.getElementById('home-login').hidden = !!s;
  document.getElementById('home-welcome').hidden = !s;
}

// The status line reads /api/v1/about; a problem answer is shown by its title and status.
let status = { key: 'status.checking', vars: {} };

function renderStatus() {
  const el = document.getElementById('status');
  el.textContent = t(status.key, status.vars);
  el.dataset.state = status.key;
}

async function checkService() {
  try {
    const body = await api('GET', '/api/v1/about');
    status = { key: 'status.ok', vars: { version: body.version } };
  } catch (e) {
    status = e instanceof Problem && e.status > 0
      ? { key: 'status.problem', vars: { title: e.message, status: e.status } }
      : { key: 'status.offline', vars: {} };
  }
  renderStatus();
}

async function main() {
  await initI18n();
  for (const b of document.querySelectorAll('[data-lang]'))
    b.addEventListener('click', () => setLang(b.dataset.lang));
  document.addEventListener('mado:lang', renderStatus);
  document.addEventListener('mado:session', renderSession);
  document.getElementById('logout').addEventListener('click', async () => {
    await logout().catch(() => {});
    location.hash = '#/';
  });
  initLogin();
  initLogins();
  initIdle();
  initAccess();
  initNotices();
  initConsents();
  initMyData();
  initPasskeys();
  setCardTokenMaker(chooseCard);
  initOffline();
  window.addEventListener('hashchange', show);
  renderStatus();
  await Promise.all([checkService(), refresh().catch(() => {})]);
  renderSession();
  await show();
}

main();
