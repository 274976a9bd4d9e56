// The supervisor's pages: staff of the supervisor log in with their staff certificate and
// see patterns, not people. Overview, statistics (plots and their tables, aggregates
// only), anomaly cases (open, note, ask the organisation, close), disputes (opening one
// is recorded in the person's log; take over, deadline, escalate, close with a finding
// the person sees), seals and registers (web/js/supervisor-registers.js, when present:
// renderSeals and renderRegisters are mounted here) and reveal requests.
import { init as initI18n, setLang, t, lang, apply } from './i18n.js';
import { Problem, request } from './api.js';
import { chart } from './supervisor-charts.js';
import { el } from './dom.js';

const VIEWS = ['login', 'overview', 'statistics', 'anomalies', 'anomaly', 'disputes', 'dispute',
  'seals', 'registers', 'reveals'];

let staff = null; // { staff, organisation, role, csrf_token }
let current = { view: '', id: '' };

const $ = (id) => document.getElementById(id);

// Requests: the staff session's token on every change.
function call(method, path, body) {
  return request(method, path, body, staff && staff.csrf_token);
}

function showError(e) {
  const box = $('sup-error');
  box.hidden = !e;
  box.textContent = e ? e.message : '';
  if (e && e.type) box.dataset.type = e.type;
  else delete box.dataset.type;
}

function showStatus(text) {
  const box = $('sup-status');
  box.hidden = !text;
  box.textContent = text || '';
}

function fmtTime(iso) {
  if (!iso) return '';
  return new Date(iso).toLocaleString(lang() === 'ja' ? 'ja-JP' : 'en-GB', {
    dateStyle: 'medium', timeStyle: 'short', timeZone: 'Asia/Tokyo',
  });
}

// A word of the catalogue, or the code itself.
function word(prefix, code) {
  const key = `${prefix}.${code}`;
  const s = t(key);
  return s === key ? code : s;
}

function facts(dl, pairs) {
  dl.replaceChildren();
  for (const [k, v] of pairs) {
    if (v === null || v === undefined || v === '') continue;
    dl.append(el('dt', '', t(k)), el('dd', '', String(v)));
  }
}

// The table's first column: what each row is (a day, an organisation, ...).
const HEAD = (what = 'key') => ({ key: t(`oversight.chart.${what}`), empty: t('oversight.chart.empty') });

// The statistics as plots, each with its table.
function statsCharts(box, s) {
  const n = t('oversight.chart.accesses');
  const served = t('oversight.chart.served');
  const denied = t('oversight.chart.refused');
  const rows = (list, label = (x) => x.key) => list.map((x) => ({ label: label(x), values: [Number(x.n)] }));
  box.replaceChildren(
    chart({ title: t('oversight.chart.by-day'), kind: 'columns', series: [served, denied], head: HEAD('day'),
      rows: s.by_day.map((x) => ({ label: x.key, values: [Number(x.n) - Number(x.denied), Number(x.denied)] })) }),
    chart({ title: t('oversight.chart.by-organisation'), series: [served, denied], head: HEAD('organisation'),
      rows: s.by_organisation.map((x) => ({ label: x.key, values: [Number(x.n) - Number(x.denied), Number(x.denied)] })) }),
    chart({ title: t('oversight.chart.by-purpose'), series: [n], head: HEAD('purpose'), rows: rows(s.by_purpose) }),
    chart({ title: t('oversight.chart.by-channel'), series: [n], head: HEAD('channel'),
      rows: rows(s.by_channel, (x) => word('desk.channel', x.key)) }),
    chart({ title: t('oversight.chart.by-outcome'), series: [n], head: HEAD('outcome'),
      rows: rows(s.by_outcome, (x) => word('oversight.outcome', x.key)) }),
    chart({ title: t('oversight.chart.refusals'), series: [t('oversight.chart.refused')], head: HEAD('reason'),
      rows: rows(s.refusals_by_reason, (x) => word('reason', x.key)) }),
    chart({ title: t('oversight.chart.desk'), kind: 'columns', series: [n], head: HEAD('day'), rows: rows(s.desk_by_day) }),
    chart({ title: t('oversight.chart.proxy'), kind: 'columns', series: [n], head: HEAD('day'), rows: rows(s.proxy_by_day) }),
    chart({ title: t('oversight.chart.disputes'), kind: 'columns',
      series: [t('oversight.chart.opened'), t('oversight.chart.answered')], head: HEAD('day'),
      rows: s.disputes_by_day.map((x) => ({ label: x.key, values: [Number(x.opened), Number(x.answered)] })) }),
  );
}

function anomalyTitle(a) {
  return t('oversight.anomaly.title', { id: a.id, kind: word('oversight.kind', a.kind) });
}

function anomalyItem(a) {
  const li = el('li', 'case card');
  li.dataset.anomaly = a.id;
  li.dataset.status = a.status;
  li.dataset.kind = a.kind;
  li.dataset.org = a.organisation;
  li.dataset.subject = a.subject || '';
  const link = el('a', '', anomalyTitle(a));
  link.href = `#/anomaly/${a.id}`;
  li.append(el('p', 'who', ''), el('p', 'what', t('oversight.anomaly.line', {
    org: a.organisation, subject: a.subject || t('oversight.anomaly.whole'),
    measure: a.measure, threshold: a.threshold, when: fmtTime(a.period_start),
  })), el('p', 'badge', word('oversight.status', a.status)));
  li.firstChild.append(link);
  return li;
}

async function showOverview() {
  const { overview: o } = await call('GET', '/staff/v1/oversight/overview');
  $('overview-when').textContent = t('oversight.overview.when', {
    rolled: fmtTime(o.statistics.rolled_to), scanned: o.scanned_at ? fmtTime(o.scanned_at) : '—',
  });
  const s = o.statistics;
  const tiles = [
    ['oversight.tile.accesses', s.total],
    ['oversight.tile.waiting', (o.anomalies.new || 0) + (o.anomalies.open || 0) + (o.anomalies.asked || 0) + (o.anomalies.answered || 0)],
    ['oversight.tile.disputes-open', s.disputes.open],
    ['oversight.tile.overdue', s.disputes.overdue],
    ['oversight.tile.seals', o.seals.reduce((a, x) => a + Number(x.pending), 0)],
  ];
  $('overview-tiles').replaceChildren(...tiles.map(([k, v]) => {
    const d = el('div', 'tile');
    d.append(el('span', 'n', Number(v).toLocaleString()), el('span', 'label', t(k)));
    return d;
  }));
  const list = o.latest_anomalies.map(anomalyItem);
  $('overview-anomalies').replaceChildren(...(list.length ? list : [el('li', 'note', t('oversight.anomalies.none'))]));
  const overdue = o.overdue_disputes.map((d) => {
    const li = el('li', 'case card');
    const a = el('a', '', t('oversight.dispute.title', { case: d.case_no }));
    a.href = `#/dispute/${encodeURIComponent(d.case_no)}`;
    li.append(a, el('p', 'what', `${d.organisation} — ${t('oversight.disputes.deadline')}: ${d.deadline || '—'}`));
    return li;
  });
  $('overview-overdue').replaceChildren(...(overdue.length ? overdue : [el('li', 'note', t('oversight.disputes.none-overdue'))]));
  const box = $('overview-charts');
  box.replaceChildren(
    chart({ title: t('oversight.chart.by-day'), kind: 'columns', head: HEAD('day'),
      series: [t('oversight.chart.served'), t('oversight.chart.refused')],
      rows: s.by_day.map((x) => ({ label: x.key, values: [Number(x.n) - Number(x.denied), Number(x.denied)] })) }),
    chart({ title: t('oversight.chart.by-organisation'), head: HEAD('organisation'),
      series: [t('oversight.chart.served'), t('oversight.chart.refused')],
      rows: s.by_organisation.map((x) => ({ label: x.key, values: [Number(x.n) - Number(x.denied), Number(x.denied)] })) }),
  );
}

function isoDay(offset) {
  return new Date(Date.now() + 9 * 3600e3 + offset * 86400e3).toISOString().slice(0, 10);
}

async function showStatistics() {
  if (!$('stats-from').value) $('stats-from').value = isoDay(-29);
  if (!$('stats-to').value) $('stats-to').value = isoDay(0);
  const q = new URLSearchParams({ from: $('stats-from').value, to: $('stats-to').value });
  const { statistics } = await call('GET', `/staff/v1/oversight/statistics?${q}`);
  statsCharts($('stats-charts'), statistics);
}

async function showAnomalies() {
  const status = $('anomaly-filter').value;
  const data = await call('GET', `/staff/v1/oversight/anomalies${status ? `?status=${status}` : ''}`);
  const items = data.anomalies.map(anomalyItem);
  $('anomaly-list').replaceChildren(...items);
  $('anomaly-none').hidden = items.length > 0;
}

async function showAnomaly() {
  const { anomaly: a, history } = await call('GET', `/staff/v1/oversight/anomalies/${current.id}`);
  document.querySelector('[data-view="anomaly"]').dataset.status = a.status;
  $('anomaly-title').textContent = anomalyTitle(a);
  facts($('anomaly-facts'), [
    ['oversight.anomaly.kind', word('oversight.kind-explain', a.kind)],
    ['oversight.anomaly.org', a.organisation],
    ['oversight.anomaly.subject', a.subject || t('oversight.anomaly.whole')],
    ['oversight.anomaly.period', `${fmtTime(a.period_start)} – ${fmtTime(a.period_end)}`],
    ['oversight.anomaly.measure', a.measure],
    ['oversight.anomaly.baseline', a.baseline],
    ['oversight.anomaly.threshold', a.threshold],
    ['oversight.anomaly.status', word('oversight.status', a.status)],
    ['oversight.anomaly.finding', a.finding],
  ]);
  $('anomaly-history').replaceChildren(...history.map((h) => {
    const li = el('li', 'card');
    li.dataset.kind = h.kind;
    li.append(el('p', 'who', `${word('oversight.event', h.kind)} — ${h.author} — ${fmtTime(h.at)}`));
    if (h.body) li.append(el('p', '', h.body));
    return li;
  }));
  const closed = a.status === 'closed';
  $('anomaly-actions').hidden = closed;
  $('anomaly-open').hidden = a.status !== 'new';
  for (const f of ['anomaly-note-form', 'anomaly-question-form', 'anomaly-close-form'])
    $(f).hidden = a.status === 'new';
  // The portal's own cases (card-key) have no organisation to ask over a gateway.
  if (a.organisation === 'mado') $('anomaly-question-form').hidden = true;
}

async function anomalyAct(action, body) {
  showError(null);
  try {
    await call('POST', `/staff/v1/oversight/anomalies/${current.id}/${action}`, body);
    for (const f of ['anomaly-note', 'anomaly-question', 'anomaly-finding']) $(f).value = '';
    showStatus(t(`oversight.done.${action}`));
    await view('anomaly');
  } catch (e) {
    showError(e);
  }
}

async function showDisputes() {
  const filter = $('dispute-filter').value;
  const data = await call('GET', `/staff/v1/oversight/disputes${filter ? `?filter=${filter}` : ''}`);
  $('dispute-body').replaceChildren(...data.disputes.map((d) => {
    const tr = el('tr');
    tr.dataset.case = d.case_no;
    if (d.overdue) tr.dataset.overdue = 'true';
    const a = el('a', '', d.case_no);
    a.href = `#/dispute/${encodeURIComponent(d.case_no)}`;
    const c = el('th');
    c.scope = 'row';
    c.append(a);
    const state = d.closed_at ? word('oversight.outcome', d.outcome)
      : `${word('oversight.dispute-status', d.status)}${d.taken_by ? ` / ${t('oversight.disputes.taken')}` : ''}${d.overdue ? ` / ${t('oversight.disputes.overdue')}` : ''}`;
    tr.append(c, el('td', '', d.organisation), el('td', '', state), el('td', '', fmtTime(d.created_at)),
      el('td', '', d.deadline || '—'));
    return tr;
  }));
}

async function showDispute() {
  const { dispute: d } = await call('GET', `/staff/v1/oversight/disputes/${encodeURIComponent(current.id)}`);
  $('dispute-title').textContent = t('oversight.dispute.title', { case: d.case_no });
  $('dispute-recorded').textContent = t('oversight.dispute.recorded');
  facts($('dispute-facts'), [
    ['oversight.dispute.kind', word('oversight.dispute-kind', d.kind)],
    ['oversight.dispute.status', word('oversight.dispute-status', d.status)],
    ['oversight.dispute.org', d.organisation],
    ['oversight.dispute.note', d.note],
    ['oversight.dispute.answer', d.answer],
    ['oversight.dispute.occurred', fmtTime(d.occurred_at)],
    ['oversight.dispute.items', (d.items || []).join(', ')],
    ['oversight.dispute.purpose', d.purpose],
    ['oversight.dispute.basis', d.legal_ref],
    ['oversight.dispute.officer', d.officer && `${d.officer}${d.officer_role ? ` (${d.officer_role})` : ''}`],
    ['oversight.dispute.taken', d.taken_by && `${d.taken_by}, ${fmtTime(d.taken_at)}`],
    ['oversight.dispute.deadline', d.deadline],
    ['oversight.dispute.escalation', d.escalation],
    ['oversight.dispute.outcome', d.finding_outcome && word('oversight.outcome', d.finding_outcome)],
    ['oversight.dispute.finding', d.finding],
  ]);
  $('dispute-take-form').hidden = Boolean(d.taken_by);
  $('dispute-taken').hidden = !d.taken_by || Boolean(d.closed_at);
}

async function disputeAct(action, body) {
  showError(null);
  try {
    await call('POST', `/staff/v1/oversight/disputes/${encodeURIComponent(current.id)}/${action}`, body);
    showStatus(t(`oversight.done.${action}`));
    await view('dispute');
  } catch (e) {
    showError(e);
  }
}

// Seals and registers: the registers module's pages when it is there.
async function mount(name, box) {
  let mod = null;
  try {
    mod = await import('./supervisor-registers.js');
  } catch {
    mod = null;
  }
  if (mod && typeof mod[name] === 'function') {
    await mod[name](box, { call });
    return true;
  }
  return false;
}

async function showSeals() {
  const box = $('seals-mount');
  if (await mount('renderSeals', box)) return;
  const { overview } = await call('GET', '/staff/v1/oversight/overview');
  box.replaceChildren(chart({ title: t('oversight.seals.title'), head: HEAD('organisation'),
    series: [t('oversight.seals.pending'), t('oversight.seals.opened')],
    rows: overview.seals.map((x) => ({ label: x.organisation, values: [Number(x.pending), Number(x.opened)] })) }));
}

async function showRegisters() {
  const box = $('registers-mount');
  if (await mount('renderRegisters', box)) return;
  box.replaceChildren(el('p', 'note', t('oversight.registers.none')));
}

async function showReveals() {
  const data = await call('GET', '/staff/v1/oversight/reveals');
  $('reveal-body').replaceChildren(...data.reveals.map((r) => {
    const tr = el('tr');
    tr.append(el('td', '', r.organisation), el('td', '', r.officer), el('td', '', r.reason),
      el('td', '', r.answer || t('oversight.reveals.waiting')));
    return tr;
  }));
}

const SHOW = {
  overview: showOverview, statistics: showStatistics, anomalies: showAnomalies, anomaly: showAnomaly,
  disputes: showDisputes, dispute: showDispute, seals: showSeals, registers: showRegisters,
  reveals: showReveals,
};

// A view is busy until its data is in: assistive technology waits, and so do tests.
async function view(name) {
  const section = document.querySelector(`[data-view="${name}"]`);
  section.setAttribute('aria-busy', 'true');
  for (const s of document.querySelectorAll('[data-view]')) s.hidden = s.dataset.view !== name;
  const top = name === 'anomaly' ? 'anomalies' : name === 'dispute' ? 'disputes' : name;
  for (const a of document.querySelectorAll('#sup-nav a')) {
    if (a.getAttribute('href') === `#/${top}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  try {
    if (SHOW[name]) await SHOW[name]();
  } catch (e) {
    showError(e);
    if (e.status === 401) {
      staff = null;
      location.hash = '#/login';
    }
  } finally {
    section.setAttribute('aria-busy', 'false');
  }
}

function route() {
  const [path] = location.hash.replace(/^#\/?/, '').split('?');
  const [name, id] = path.split('/');
  let v = VIEWS.includes(name) ? name : 'overview';
  if (!staff) v = 'login';
  else if (v === 'login') v = 'overview';
  if (current.view !== v || current.id !== (id || '')) showStatus('');
  current = { view: v, id: decodeURIComponent(id || '') };
  return view(v);
}

function onSubmit(id, fn) {
  $(id).addEventListener('submit', (ev) => {
    ev.preventDefault();
    fn();
  });
}

async function main() {
  await initI18n();
  for (const b of document.querySelectorAll('[data-lang]'))
    b.addEventListener('click', () => setLang(b.dataset.lang));
  document.addEventListener('mado:lang', () => {
    apply();
    if (staff) {
      $('sup-staff').textContent = t('oversight.staff', { ref: staff.staff });
      route();
    }
  });
  onSubmit('stats-form', () => view('statistics'));
  $('anomaly-filter').addEventListener('change', () => view('anomalies'));
  $('dispute-filter').addEventListener('change', () => view('disputes'));
  $('scan-now').addEventListener('click', async () => {
    showError(null);
    try {
      const r = await call('POST', '/staff/v1/oversight/scan');
      showStatus(t('oversight.anomalies.found', { n: r.found }));
      await view('anomalies');
    } catch (e) {
      showError(e);
    }
  });
  $('anomaly-open').addEventListener('click', () => anomalyAct('open'));
  onSubmit('anomaly-note-form', () => anomalyAct('notes', { note: $('anomaly-note').value }));
  onSubmit('anomaly-question-form', () => anomalyAct('question', { question: $('anomaly-question').value }));
  onSubmit('anomaly-close-form', () => anomalyAct('close', { finding: $('anomaly-finding').value }));
  onSubmit('dispute-take-form', () => disputeAct('take',
    $('dispute-take-deadline').value ? { deadline: $('dispute-take-deadline').value } : {}));
  onSubmit('dispute-deadline-form', () => disputeAct('deadline', { deadline: $('dispute-deadline').value }));
  onSubmit('dispute-escalate-form', () => disputeAct('escalate', { escalation: $('dispute-escalation').value }));
  onSubmit('dispute-close-form', () => disputeAct('close',
    { outcome: $('dispute-outcome').value, finding: $('dispute-finding').value }));
  onSubmit('reveal-form', async () => {
    showError(null);
    try {
      await call('POST', '/staff/v1/oversight/reveals', {
        organisation: $('reveal-org').value, officer: $('reveal-officer').value, reason: $('reveal-reason').value,
      });
      showStatus(t('oversight.done.reveal'));
      await view('reveals');
    } catch (e) {
      showError(e);
    }
  });
  $('sup-logout').addEventListener('click', async () => {
    await call('POST', '/staff/v1/auth/logout').catch(() => null);
    staff = null;
    location.replace('/supervisor.html#/login');
    location.reload();
  });
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  const about = await call('GET', '/api/v1/about').catch(() => ({}));
  if (about.tls_login_url)
    $('sup-login-link').href = about.tls_login_url.replace(/\/tls-login\.html$/, '/supervisor-login.html');
  staff = await call('GET', '/staff/v1/me').catch(() => null);
  if (staff && staff.role !== 'supervisor') staff = null;
  document.body.dataset.staff = staff ? 'in' : 'out';
  $('sup-logout').hidden = !staff;
  $('sup-staff').hidden = !staff;
  $('sup-nav').hidden = !staff;
  if (staff) $('sup-staff').textContent = t('oversight.staff', { ref: staff.staff });
  if (params.get('error')) showError(new Problem(403, { type: `urn:mado:problem:${params.get('error')}` }));
  window.addEventListener('hashchange', route);
  await route();
}

main();
