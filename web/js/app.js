// The page shell: language, hash routes, and the service status line. Later features
// add their views as <section data-view="..."> and a route here.
import { init as initI18n, setLang, t } from './i18n.js';

const ROUTES = ['home', 'access-log', 'consents', 'notices', 'logins'];

function routeFromHash() {
  const name = location.hash.replace(/^#\/?/, '') || 'home';
  return ROUTES.includes(name) ? name : 'home';
}

function show(route) {
  for (const v of document.querySelectorAll('[data-view]')) v.hidden = v.dataset.view !== route;
  for (const a of document.querySelectorAll('[data-route]')) {
    if (a.dataset.route === route) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
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
    const res = await fetch('/api/v1/about', { headers: { Accept: 'application/json' } });
    const body = await res.json();
    if (res.ok) status = { key: 'status.ok', vars: { version: body.version } };
    else status = { key: 'status.problem', vars: { title: body.title || res.statusText, status: res.status } };
  } catch {
    status = { key: 'status.offline', vars: {} };
  }
  renderStatus();
}

async function main() {
  await initI18n();
  for (const b of document.querySelectorAll('[data-lang]'))
    b.addEventListener('click', () => setLang(b.dataset.lang));
  document.addEventListener('mado:lang', renderStatus);
  window.addEventListener('hashchange', () => show(routeFromHash()));
  show(routeFromHash());
  renderStatus();
  await checkService();
}

main();
