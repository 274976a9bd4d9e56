// The desk terminal: one task per screen, in large type. A clerk logs in with the staff
// certificate, starts a visit, the resident takes it up with their own card, and the
// terminal then works in the resident's visit session (channel desk) with only what a
// visit may do: show the access log, show and withdraw consents, print a receipt. "End
// customer" ends the visit on the server and clears the screen; nothing of a resident is
// kept in this page's memory or storage between visits.
import { init as initI18n, setLang, t, lang, apply } from './i18n.js';
import { Problem, request } from './api.js';
import { hasWebeid, webeidToken } from './webeid.js';
import { readMyData } from './mydata.js';
import { el } from './dom.js';

// Every screen, once: what fills it, and whether it belongs to a resident's visit.
const PAGES = {
  login: {},
  start: {},
  card: { show: showCard },
  menu: { visit: true },
  info: { show: showInfo, visit: true },
  log: { show: showLog, visit: true },
  notices: { show: showNotices, visit: true },
  consents: { show: showConsents, visit: true },
  receipt: { show: showReceipt, visit: true },
};

let staff = null; // { staff, organisation, role, csrf_token }
let visit = null; // { id, nonce, csrf, endsAt, warnAt }
let clock = 0;

const $ = (id) => document.getElementById(id);

// Requests: the staff session's token on /staff/ paths, the visit's on the resident's.
function call(method, path, body) {
  const token = path.startsWith('/staff/') ? staff && staff.csrf_token : visit && visit.csrf;
  return request(method, path, body, token);
}

function showError(e) {
  const box = $('desk-error');
  box.hidden = !e;
  box.textContent = e ? e.message : '';
  if (e && e.type) box.dataset.type = e.type;
  else delete box.dataset.type;
}

function fmtTime(iso) {
  if (!iso) return '';
  return new Date(iso).toLocaleString(lang() === 'ja' ? 'ja-JP' : 'en-GB', {
    dateStyle: 'medium',
    timeStyle: 'short',
  });
}

function themeName(code) {
  const key = `desk.theme.${code}`;
  const s = t(key);
  return s === key ? code : s;
}

// Nothing of the last resident stays on screen.
function wipe() {
  for (const id of ['desk-log-body', 'desk-info-body', 'desk-notice-list', 'desk-consent-list',
    'receipt-done']) $(id).replaceChildren();
  for (const id of ['receipt-where', 'receipt-clerk', 'receipt-started', 'receipt-visit', 'receipt-requests'])
    $(id).textContent = '';
  $('desk-cards').hidden = true;
  $('desk-reader').hidden = true;
  $('desk-card-list').replaceChildren();
}

function stopClock() {
  if (clock) clearInterval(clock);
  clock = 0;
  $('visit-bar').hidden = true;
  $('visit-warn').hidden = true;
}

function tick() {
  if (!visit) return;
  const left = Math.max(0, Math.round((visit.endsAt - Date.now()) / 1000));
  const m = Math.floor(left / 60);
  const s = String(left % 60).padStart(2, '0');
  $('visit-clock').textContent = t('desk.left', { time: `${m}:${s}` });
  $('visit-warn').hidden = Date.now() < visit.warnAt;
  if (left === 0) endCustomer(true);
}

function startClock(expiresIn, warnBefore) {
  visit.endsAt = Date.now() + expiresIn * 1000;
  visit.warnAt = visit.endsAt - warnBefore * 1000;
  $('visit-bar').hidden = false;
  tick();
  clock = setInterval(tick, 1000);
}

// End customer: the server ends the visit and its session, the browser drops the
// resident's cookie and storage; the screen goes back to "next, please".
async function endCustomer(timedOut) {
  const id = visit && visit.id;
  visit = null;
  stopClock();
  wipe();
  document.body.dataset.visit = 'none';
  if (id) {
    try {
      await call('POST', `/staff/v1/visits/${id}/end`);
    } catch (e) {
      showError(e);
    }
  }
  $('desk-ended').hidden = false;
  $('desk-ended').textContent = t(timedOut === true ? 'desk.timed-out' : 'desk.ended');
  if (location.hash !== '#/') location.hash = '#/';
  else route();
}

async function startVisit() {
  showError(null);
  $('desk-ended').hidden = true;
  wipe();
  const v = await call('POST', '/staff/v1/visits');
  visit = { id: v.id, nonce: v.nonce, csrf: '', endsAt: 0, warnAt: 0 };
  document.body.dataset.visit = 'waiting';
  location.hash = '#/card';
}

// The card signs the visit's challenge: through the Web eID extension at a real counter,
// or, in the demo, a virtual card.
function demoToken(name) {
  return (nonce) => call('POST', `/api/v1/demo/cards/${encodeURIComponent(name)}/token`, { nonce });
}

async function takeCard(sign) {
  showError(null);
  try {
    const token = await sign(visit.nonce);
    const r = await call('POST', `/staff/v1/visits/${visit.id}/card`, JSON.stringify(token));
    visit.csrf = r.csrf_token;
    visit.nonce = '';
    document.body.dataset.visit = 'open';
    startClock(r.expires_in_s, r.warn_before_s);
    location.hash = '#/menu';
  } catch (e) {
    showError(e);
    // A visit takes one card: after any refusal the clerk starts again.
    if (e.type === 'visit-ended' || e.type === 'challenge-expired') {
      visit = null;
      document.body.dataset.visit = 'none';
      location.hash = '#/';
    } else {
      const v = await call('POST', '/staff/v1/visits');
      visit = { id: v.id, nonce: v.nonce, csrf: '', endsAt: 0, warnAt: 0 };
    }
  }
}

async function showCard() {
  const list = $('desk-card-list');
  list.replaceChildren();
  const [reader, demo] = await Promise.all([hasWebeid(),
    call('GET', '/api/v1/demo/cards').catch(() => null)]);
  $('desk-reader').hidden = !reader;
  if (!demo) return;
  for (const c of demo.cards) {
    const li = el('li');
    const b = el('button', 'big', `${c.name} (${c.key})`);
    b.type = 'button';
    b.dataset.card = c.name;
    b.addEventListener('click', () => takeCard(demoToken(c.name)));
    li.append(b);
    list.append(li);
  }
  $('desk-cards').hidden = false;
}

// A dispute on the resident's word: "I do not recognise this access".
function disputeButton(e, cell) {
  const b = el('button', 'warn', t('desk.log.not-recognised'));
  b.type = 'button';
  b.dataset.dispute = e.id;
  b.addEventListener('click', async () => {
    showError(null);
    try {
      const r = await call('POST', `/api/v1/me/access-log/${e.id}/disputes`, { kind: 'not-recognised' });
      cell.replaceChildren(el('span', 'case', t('desk.log.disputed', { case: r.case_no || '' })));
    } catch (err) {
      showError(err);
    }
  });
  return b;
}

async function showLog() {
  const page = await call('GET', '/api/v1/me/access-log?limit=50');
  const rows = page.items.map((e) => {
    const tr = el('tr');
    tr.dataset.channel = e.channel;
    const cell = el('td');
    // As on the resident's own page: a sealed entry cannot be disputed until it opens.
    if (e.channel !== 'self' && e.channel !== 'desk' && !e.sealed && !(e.disputes || []).length)
      cell.append(disputeButton(e, cell));
    tr.append(el('td', '', fmtTime(e.occurred_at)), el('td', '', e.organisation),
      el('td', '', (e.items || []).join(', ')), el('td', '', t(`desk.channel.${e.channel}`)), cell);
    return tr;
  });
  $('desk-log-body').replaceChildren(...rows);
}

function shown(value) {
  if (value && typeof value === 'object' && (value.ja || value.en))
    return (lang() === 'ja' ? value.ja : value.en) || value.ja || value.en;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

// The resident's data comes sealed from its holders to a key made here for the one read;
// it is opened in this page and never kept.
async function showInfo() {
  const data = await readMyData((path) => call('GET', path));
  const rows = [];
  for (const o of data.organisations || []) {
    for (const i of o.items || []) {
      const tr = el('tr');
      tr.append(el('td', '', lang() === 'ja' ? o.name_ja : o.name_en),
        el('td', '', lang() === 'ja' ? i.name_ja : i.name_en), el('td', '', shown(i.value)));
      rows.push(tr);
    }
  }
  $('desk-info-body').replaceChildren(...rows);
}

async function showNotices() {
  const data = await call('GET', '/api/v1/me/notices');
  const items = data.notices.map((n) => {
    const li = el('li', 'card');
    li.dataset.notice = n.id;
    li.append(el('p', 'when', fmtTime(n.created_at)), el('p', 'what', n.title || n.kind));
    if (n.body) li.append(el('p', '', n.body));
    return li;
  });
  $('desk-notice-list').replaceChildren(...items);
  $('desk-notices-none').hidden = items.length > 0;
}

async function showConsents() {
  const data = await call('GET', '/api/v1/me/consents');
  const active = data.consents.filter((c) => c.status === 'active' || c.status === 'paused');
  const items = active.map((c) => {
    const li = el('li', 'card');
    li.dataset.consent = c.id;
    li.append(el('p', 'who', c.recipient || c.programme || ''),
      el('p', 'what', (Array.isArray(c.items) ? c.items : []).join(', ')));
    const b = el('button', 'warn big', t('desk.consents.withdraw'));
    b.type = 'button';
    b.dataset.withdraw = c.id;
    b.addEventListener('click', async () => {
      showError(null);
      try {
        await call('POST', `/api/v1/me/consents/${c.id}/revoke`, {});
        await view('consents');
      } catch (e) {
        showError(e);
      }
    });
    li.append(b);
    return li;
  });
  $('desk-consent-list').replaceChildren(...items);
  $('desk-consents-none').hidden = items.length > 0;
}

async function showReceipt() {
  const v = await call('GET', '/api/v1/me/desk-visit');
  const org = v.organisation_name || {};
  $('receipt-where').textContent = (lang() === 'ja' ? org.ja : org.en) || v.organisation;
  $('receipt-clerk').textContent = v.clerk;
  $('receipt-started').textContent = fmtTime(v.started_at);
  $('receipt-visit').textContent = v.id;
  $('receipt-requests').textContent = String(v.requests);
  $('receipt-done').replaceChildren(...v.themes.filter((x) => x !== 'session')
    .map((x) => el('li', '', themeName(x))));
}

// A view is busy until its data is in: assistive technology waits, and so do tests.
async function view(name) {
  const main = document.querySelector(`[data-view="${name}"]`);
  main.setAttribute('aria-busy', 'true');
  for (const s of document.querySelectorAll('[data-view]')) s.hidden = s.dataset.view !== name;
  try {
    if (PAGES[name].show) await PAGES[name].show();
  } catch (e) {
    showError(e);
    // The visit is over on the server (time limit, ended elsewhere): so it is here.
    if (visit && (e.status === 401 || e.type === 'own-session-only')) await endCustomer(true);
  } finally {
    main.setAttribute('aria-busy', 'false');
  }
}

function route() {
  let name = location.hash.replace(/^#\/?/, '').split('?')[0] || 'start';
  if (!Object.hasOwn(PAGES, name)) name = 'start';
  if (!staff) name = 'login';
  else if (name === 'login') name = 'start';
  else if (PAGES[name].visit && !(visit && visit.csrf)) name = 'start';
  else if (name === 'card' && !visit) name = 'start';
  return view(name);
}

function print(paper) {
  document.body.dataset.paper = paper;
  window.print();
}

async function main() {
  await initI18n();
  for (const b of document.querySelectorAll('[data-lang]'))
    b.addEventListener('click', () => setLang(b.dataset.lang));
  document.addEventListener('mado:lang', () => {
    apply();
    tick();
    if (staff) $('desk-staff').textContent = t('desk.staff', { ref: staff.staff });
  });
  $('visit-start').addEventListener('click', () => startVisit().catch(showError));
  $('desk-card-read').addEventListener('click', () => takeCard(webeidToken));
  $('end-customer').addEventListener('click', () => endCustomer(false));
  $('print-a4').addEventListener('click', () => print('a4'));
  $('print-80').addEventListener('click', () => print('80mm'));
  $('desk-logout').addEventListener('click', async () => {
    await call('POST', '/staff/v1/auth/logout').catch(() => null);
    staff = null;
    visit = null;
    location.replace('/desk.html#/login');
    location.reload();
  });
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  const about = await call('GET', '/api/v1/about').catch(() => ({}));
  if (about.tls_login_url)
    $('desk-login-link').href = about.tls_login_url.replace(/\/tls-login\.html$/, '/desk-login.html');
  staff = await call('GET', '/staff/v1/me').catch(() => null);
  document.body.dataset.staff = staff ? 'in' : 'out';
  $('desk-logout').hidden = !staff;
  $('desk-staff').hidden = !staff;
  if (staff) $('desk-staff').textContent = t('desk.staff', { ref: staff.staff });
  if (params.get('error')) showError(new Problem(403, { type: `urn:mado:problem:${params.get('error')}` }));
  window.addEventListener('hashchange', route);
  await route();
}

main();
