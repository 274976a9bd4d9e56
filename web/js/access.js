// The access log: who saw the resident's data, when, what, why and through which
// channel; one entry in plain words with its dispute buttons; the export; the summary
// on the home page; and the coverage list, so that silence is never read as "nobody".
import { api } from './api.js';
import { t, lang } from './i18n.js';
import { verifyBundle } from './tlog.js';
import { el } from './dom.js';

let catalogue = null;
let next = '';
let filters = new URLSearchParams();

const CHANNELS = ['gateway', 'report', 'desk', 'proxy', 'private', 'push', 'supervisor', 'self'];
const OUTCOMES = ['served', 'denied', 'failed'];

async function names() {
  if (!catalogue) {
    const c = await api('GET', '/api/v1/access/catalogue');
    const index = (list) => Object.fromEntries(list.map((x) => [x.code, x]));
    catalogue = { orgs: index(c.organisations), items: index(c.items), purposes: index(c.purposes), raw: c };
  }
  return catalogue;
}

// The name of an organisation, data item or purpose code, once the catalogue is loaded.
export async function nameFor(table, code) {
  await names();
  return nameOf(table, code);
}

// The name of a code in the current language, or the code itself.
function nameOf(table, code) {
  const x = catalogue && catalogue[table][code];
  if (!x) return code || '';
  return lang() === 'ja' ? x.name_ja : x.name_en;
}

function when(s) {
  return new Date(s).toLocaleString(lang() === 'ja' ? 'ja-JP' : 'en-GB', {
    year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit',
  });
}

function day(s) {
  return new Date(`${s}T00:00:00+09:00`).toLocaleDateString(lang() === 'ja' ? 'ja-JP' : 'en-GB', {
    year: 'numeric', month: 'long', day: 'numeric', timeZone: 'Asia/Tokyo',
  });
}

// The purpose in words; one Mado does not know by its code, never "null: null".
function purposeText(code, p) {
  const name = lang() === 'ja' ? p.ja : p.en;
  const explain = lang() === 'ja' ? p.explain_ja : p.explain_en;
  if (!name) return t('entry.purpose-unknown', { code: code || '' });
  return explain ? `${name}: ${explain}` : name;
}

// Why an access was refused, in words; a code without a message is named, never shown
// as a raw key.
function reasonText(code) {
  const key = `access.reason.${code}`;
  const s = t(key);
  return s === key ? t('access.reason.other', { code }) : s;
}

function badge(entry) {
  if (entry.sealed) return el('span', 'badge sealed', t('access.sealed'));
  const b = el('span', `badge ${entry.outcome}`, t(`access.outcome.${entry.outcome}`));
  return b;
}

function entryItem(e) {
  const li = el('li', 'entry');
  li.dataset.id = String(e.id);
  li.dataset.outcome = e.sealed ? 'sealed' : e.outcome;
  li.dataset.channel = e.channel || '';
  const head = el('div', 'entry-head');
  head.append(el('time', 'when', when(e.occurred_at)), badge(e));
  li.append(head);
  if (e.sealed) {
    li.append(el('p', 'who', t('access.sealed.line', { date: day(e.sealed_until), body: e.sealing_body })));
    return li;
  }
  const a = el('a', 'who', nameOf('orgs', e.organisation));
  a.href = `#/access-entry?id=${e.id}`;
  li.append(a);
  li.append(el('p', 'what', e.items.map((i) => nameOf('items', i)).join(lang() === 'ja' ? '、' : ', ')));
  li.append(el('p', 'why', `${nameOf('purposes', e.purpose)} · ${t(`access.channel.${e.channel}`)}`));
  if (e.disputes && e.disputes.length)
    li.append(el('p', 'disputed', t('access.disputed', { status: t(`dispute.status.${e.disputes[0].status}`) })));
  return li;
}

function query(extra = {}) {
  const q = new URLSearchParams(filters);
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return q.toString();
}

function exportLinks() {
  for (const a of document.querySelectorAll('[data-export]'))
    a.href = `/api/v1/me/access-log/export?${query({ format: a.dataset.export })}`;
}

async function loadPage(append) {
  const list = document.getElementById('access-list');
  const more = document.getElementById('access-more');
  const page = await api('GET', `/api/v1/me/access-log?${query(next ? { limit: 20, before: next } : { limit: 20 })}`);
  const rows = page.items.map(entryItem);
  if (append) list.append(...rows);
  else list.replaceChildren(...rows);
  next = page.next_before || '';
  more.hidden = !next;
  document.getElementById('access-empty').hidden = list.children.length > 0;
}

function option(value, label) {
  const o = el('option', '', label);
  o.value = value;
  return o;
}

function fillFilters() {
  const c = catalogue.raw;
  const set = (id, opts) => {
    const s = document.getElementById(id);
    const keep = s.value;
    s.replaceChildren(option('', t('access.filter.all')), ...opts);
    s.value = keep;
  };
  set('f-organisation', c.organisations.map((o) => option(o.code, nameOf('orgs', o.code))));
  set('f-item', c.items.map((o) => option(o.code, nameOf('items', o.code))));
  set('f-purpose', c.purposes.map((o) => option(o.code, nameOf('purposes', o.code))));
  set('f-channel', CHANNELS.map((x) => option(x, t(`access.channel.${x}`))));
  set('f-outcome', OUTCOMES.map((x) => option(x, t(`access.outcome.${x}`))));
}

async function showCoverage() {
  const body = document.getElementById('coverage-body');
  const rows = catalogue.raw.organisations.filter((o) => o.kind !== 'supervisor' && o.kind !== 'portal').map((o) => {
    const tr = el('tr');
    tr.append(el('td', '', nameOf('orgs', o.code)),
      el('td', '', o.gateway_since ? day(o.gateway_since) : t('coverage.no')),
      el('td', '', o.reports_since ? day(o.reports_since) : t('coverage.no')));
    return tr;
  });
  body.replaceChildren(...rows);
}

export async function showAccess() {
  await names();
  fillFilters();
  next = '';
  exportLinks();
  await Promise.all([loadPage(false), showCoverage()]);
}

// One entry in full, in plain words, with the dispute buttons.
export async function showEntry(params) {
  await names();
  const id = params.get('id') || '';
  const box = document.getElementById('entry');
  const msg = document.getElementById('entry-message');
  msg.hidden = true;
  document.getElementById('dispute-form').hidden = true;
  const e = await api('GET', `/api/v1/me/access-log/${encodeURIComponent(id)}`);
  box.dataset.id = String(e.id);
  const dl = el('dl', 'facts');
  const add = (key, value) => {
    if (value === null || value === undefined || value === '') return;
    dl.append(el('dt', '', t(key)), el('dd', '', value));
  };
  add('entry.when', when(e.occurred_at));
  add('entry.recorded', when(e.recorded_at));
  if (e.sealed) {
    add('entry.sealed', t('access.sealed.line', { date: day(e.sealed_until), body: e.sealing_body }));
    box.replaceChildren(dl);
    document.getElementById('dispute-buttons').hidden = true;
    document.getElementById('tlog-box').hidden = true;
    return;
  }
  const law = e.law ? (lang() === 'ja' ? e.law.ja : e.law.en) : '';
  const purpose = e.purpose_text || {};
  add('entry.who', lang() === 'ja' ? e.organisation_name.ja : e.organisation_name.en);
  if (e.relay_for) add('entry.relay', nameOf('orgs', e.relay_for));
  add('entry.officer', [e.officer, e.officer_role].filter(Boolean).join(' · '));
  add('entry.actor', t(`entry.actor.${e.actor_kind}`));
  add('entry.channel', t(`access.channel.${e.channel}`));
  add('entry.items', e.items.map((i) => nameOf('items', i)).join(lang() === 'ja' ? '、' : ', '));
  add('entry.purpose', purposeText(e.purpose, purpose));
  add('entry.law', law ? `${law} (${e.legal_ref})` : e.legal_ref);
  add('entry.case', e.case_ref);
  if (e.register_version) add('entry.register', t('entry.register.line', { id: e.register_version }));
  add('entry.outcome', t(`access.outcome.${e.outcome}`) + (e.reason ? ` — ${reasonText(e.reason)}` : ''));
  for (const d of e.disputes) {
    add('entry.dispute', `${d.case_no} · ${t(`dispute.kind.${d.kind}`)} · ${t(`dispute.status.${d.status}`)}`);
    // The independent supervisor took the case over; its finding, once closed.
    if (d.supervisor)
      add('entry.supervisor', d.supervisor.finding
        ? `${t(`oversight.outcome.${d.supervisor.outcome}`)} — ${d.supervisor.finding}`
        : t('entry.supervisor.taken'));
  }
  box.replaceChildren(dl);
  showTlog(e.id);
  // Your own read is not disputed as an access; a case about the data is opened on its
  // item in My information.
  document.getElementById('dispute-buttons').hidden = e.channel === 'self';
}

// The entry's tamper-evidence check (web/js/tlog.js): shown for every entry that is not
// sealed; "verified" only when the browser itself checked the proof and the signature.
function showTlog(id) {
  const box = document.getElementById('tlog-box');
  const out = document.getElementById('tlog-result');
  const link = document.getElementById('tlog-download');
  box.hidden = false;
  box.dataset.id = String(id);
  out.hidden = true;
  link.hidden = true;
}

async function runTlog() {
  const id = document.getElementById('tlog-box').dataset.id;
  const out = document.getElementById('tlog-result');
  const link = document.getElementById('tlog-download');
  const say = (key, cls, vars) => {
    out.textContent = t(key, vars);
    out.className = `notice ${cls}`;
    out.hidden = false;
  };
  say('tlog.checking', '');
  let bundle;
  const trust = {};
  try {
    bundle = await api('GET', `/api/v1/me/access-log/${encodeURIComponent(id)}/proof`);
    const [k, w] = await Promise.all([fetch('/.well-known/mado-tlog-vkey'),
      fetch('/.well-known/mado-tlog-witnesses')]);
    if (!k.ok || !w.ok) throw new Error(String(k.ok ? w.status : k.status));
    trust.vkey = await k.text();
    Object.assign(trust, await w.json());
  } catch (err) {
    say(err.type === 'proof-pending' ? 'tlog.pending' : 'tlog.unavailable', 'error');
    return;
  }
  if (link.href) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(new Blob([JSON.stringify(bundle, null, 1)],
    { type: 'application/json' }));
  link.download = `mado-proof-${id}.json`;
  link.hidden = false;
  const v = await verifyBundle(bundle, trust);
  if (v.status === 'verified') say('tlog.verified', 'ok', { size: v.size, witnesses: v.witnesses });
  else if (v.status === 'unsigned') say('tlog.unsigned', 'error', { size: v.size });
  else say('tlog.failed', 'error', { reason: v.reason });
}

async function sendDispute(kind, note) {
  const id = document.getElementById('entry').dataset.id;
  const msg = document.getElementById('entry-message');
  try {
    const r = await api('POST', `/api/v1/me/access-log/${id}/disputes`, note ? { kind, note } : { kind });
    msg.textContent = t(kind === 'not-mine' ? 'dispute.sent.frozen' : 'dispute.sent', { case: r.case_no });
    msg.className = 'notice ok';
  } catch (err) {
    msg.textContent = t('dispute.failed', { title: err.message });
    msg.className = 'notice error';
  }
  msg.hidden = false;
  document.getElementById('dispute-form').hidden = true;
  const keep = msg.textContent;
  await showEntry(new URLSearchParams(`id=${id}`));
  msg.textContent = keep;
  msg.hidden = false;
}

// The home page's summary: the last twelve months at a glance.
export async function showSummary() {
  const box = document.getElementById('home-summary');
  const [s] = await Promise.all([api('GET', '/api/v1/me/access-log/summary'), names()]);
  const total = s.months.reduce((n, m) => n + m.count, 0);
  const denied = s.months.reduce((n, m) => n + m.denied, 0);
  const list = el('ul', 'summary-orgs');
  for (const o of s.organisations.slice(0, 5))
    list.append(el('li', '', t('summary.org', { org: nameOf('orgs', o.organisation), count: o.count })));
  box.replaceChildren(
    el('p', 'summary-total', t('summary.total', { count: total, orgs: s.organisations.length, denied })),
    list);
}

export function initAccess() {
  const form = document.getElementById('access-filters');
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    filters = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (v) filters.set(k, String(v));
    next = '';
    exportLinks();
    await loadPage(false);
  });
  form.addEventListener('reset', async () => {
    filters = new URLSearchParams();
    next = '';
    exportLinks();
    await loadPage(false);
  });
  document.getElementById('access-more').addEventListener('click', () => loadPage(true));
  document.getElementById('tlog-verify').addEventListener('click', runTlog);
  for (const b of document.querySelectorAll('[data-dispute]'))
    b.addEventListener('click', () => {
      const f = document.getElementById('dispute-form');
      f.dataset.kind = b.dataset.dispute;
      document.getElementById('dispute-what').textContent = t(`dispute.kind.${b.dataset.dispute}`);
      f.hidden = false;
      document.getElementById('dispute-note').focus();
    });
  document.getElementById('dispute-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = ev.target;
    sendDispute(f.dataset.kind, document.getElementById('dispute-note').value.trim());
  });
  document.getElementById('dispute-cancel').addEventListener('click', () => {
    document.getElementById('dispute-form').hidden = true;
  });
  document.addEventListener('mado:lang', () => {
    if (catalogue) fillFilters();
  });
}
