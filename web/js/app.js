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
import { showDeskVisits } from './deskvisits.js';
import { initMandates, showMandates, backToOwn } from './mandates.js';
import { initPasskeys, showDevices, showQr, showAddPhone } from './passkey.js';
import { setCardChooser } from './stepup.js';
import { initOffline } from './offline.js';

// Every page, once: what shows it, whether it needs a login, the menu entry it lights
// (its own by default), and the theme a proxy's mandate needs for it ('' any mandate; none:
// only the person's own session).
const PAGES = {
  home: {
    show: () => {
      const s = session();
      const summary = s && (!s.acting || (s.acting.themes || []).includes('access-log'));
      return summary ? showSummary() : Promise.resolve();
    },
    theme: '',
  },
  login: { show: showLogin },
  mydata: { show: () => showMyData(), login: true, theme: 'my-information' },
  'access-log': { show: showAccess, login: true, theme: 'access-log' },
  'access-entry': { show: showEntry, login: true, nav: 'access-log', theme: 'access-log' },
  consents: { show: () => showConsents(), login: true, theme: 'withdraw-consents' },
  consent: { show: showConsent, login: true, nav: 'consents', theme: 'withdraw-consents' },
  'consent-request': { show: showRequest, login: true, nav: 'consents' },
  notices: { show: showNotices, login: true, theme: 'notices' },
  logins: { show: showLogins, login: true },
  sessions: { show: showSessions, login: true },
  'desk-visits': { show: showDeskVisits, login: true },
  mandates: { show: showMandates, login: true },
  devices: { show: showDevices, login: true },
  qr: { show: showQr, login: true },
  'add-phone': { show: showAddPhone },
  offline: {},
  'tlog-about': { nav: 'access-log' },
};

// "#/login?error=card-expired" -> ["login", URLSearchParams("error=card-expired")]
function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [name, query] = raw.split('?');
  return [Object.hasOwn(PAGES, name) ? name : 'home', new URLSearchParams(query || '')];
}

async function show() {
  let [route, params] = parseHash();
  // No connection and no session: the offline view says so instead of the login page.
  if (PAGES[route].login && !session() && !navigator.onLine) route = 'offline';
  if (PAGES[route].login && !session()) {
    // Come back here after logging in (a service's consent request, for one).
    sessionStorage.setItem('mado.after-login', location.hash);
    location.hash = '#/login';
    return;
  }
  for (const v of document.querySelectorAll('[data-view]')) v.hidden = v.dataset.view !== route;
  for (const a of document.querySelectorAll('[data-route]')) {
    if (a.dataset.route === (PAGES[route].nav || route)) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  // A view is busy until its data is in: assistive technology waits, and so do tests.
  const view = document.querySelector(`[data-view="${route}"]`);
  if (view) view.setAttribute('aria-busy', 'true');
  if (PAGES[route].show) await PAGES[route].show(params).catch(actingRefused);
  if (view) view.setAttribute('aria-busy', 'false');
}

// Acting for someone and refused: the mandate no longer holds; only the way back is left.
async function actingRefused(e) {
  const s = session();
  if (!(s && s.acting && !s.acting.ended && e instanceof Problem && e.type === 'own-session-only'))
    return;
  try {
    await api('GET', '/api/v1/proxy/acting');
  } catch {
    s.acting = { ended: true };
    renderActing();
  }
}

// The banner on every screen while acting for someone, and only the mandate's pages.
function renderActing() {
  const s = session();
  const acting = s && s.acting;
  document.body.dataset.acting = acting ? 'true' : 'false';
  document.getElementById('acting-banner').hidden = !acting;
  if (!acting) return;
  const themes = acting.themes || [];
  document.getElementById('acting-title').textContent = acting.ended
    ? t('acting.title-ended') : t('acting.for', { label: acting.label });
  document.getElementById('acting-themes').textContent = themes.length
    ? t('acting.themes', { themes: themes.map((x) => t(`theme.${x}`)).join(', ') }) : '';
  document.getElementById('acting-ended').hidden = !acting.ended;
  for (const a of document.querySelectorAll('.nav a[data-route]')) {
    const need = PAGES[a.dataset.route]?.theme;
    if (need === undefined || (need !== '' && !themes.includes(need))) a.dataset.themeOff = '';
    else delete a.dataset.themeOff;
  }
}

function renderSession() {
  const s = session();
  renderActing();
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
  document.addEventListener('mado:lang', renderActing);
  document.getElementById('acting-back').addEventListener('click', backToOwn);
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
  initMandates();
  initPasskeys();
  setCardChooser(chooseCard);
  initOffline();
  window.addEventListener('hashchange', show);
  renderStatus();
  await Promise.all([checkService(), refresh().catch(() => {})]);
  renderSession();
  await show();
}

main();
