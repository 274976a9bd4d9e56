// The public transparency page: GET /api/v1/transparency as tables (and a plot of the
// monthly totals). A withheld count (null: above zero, below the threshold) shows as a
// dash with its meaning for screen readers.
import { init as initI18n, setLang, t } from './i18n.js';
import { api } from './api.js';
import { chart } from './supervisor-charts.js';
import { el } from './dom.js';

let data = null;
const $ = (id) => document.getElementById(id);

function count(v) {
  if (v === null) {
    const td = el('td', 'withheld', t('transparency.withheld'));
    td.setAttribute('aria-label', t('transparency.some-withheld'));
    return td;
  }
  return el('td', 'num', Number(v).toLocaleString());
}

function table(caption, cols, rows) {
  const wrap = el('div', 'table-wrap');
  wrap.tabIndex = 0;
  wrap.setAttribute('role', 'region');
  wrap.setAttribute('aria-label', caption);
  if (rows.length === 0) {
    wrap.append(el('p', 'note', t('transparency.none')));
    return wrap;
  }
  const tb = el('table', 'stats');
  tb.append(el('caption', '', caption));
  const head = el('tr');
  for (const c of cols) {
    const th = el('th', '', t(`transparency.${c.label || c.key}`));
    th.scope = 'col';
    head.append(th);
  }
  const thead = el('thead');
  thead.append(head);
  const body = el('tbody');
  for (const r of rows) {
    const tr = el('tr');
    for (const c of cols) tr.append(c.text ? el('td', '', r[c.key]) : count(r[c.key]));
    body.append(tr);
  }
  tb.append(thead, body);
  wrap.append(tb);
  return wrap;
}

function render() {
  if (!data) return;
  $('transparency-lead').textContent = t('transparency.lead', { min: data.min_cell });
  $('transparency-plot').replaceChildren(chart({
    title: t('transparency.plot'), kind: 'columns', head: { key: t('transparency.month'), empty: t('transparency.none') },
    series: [t('transparency.accesses'), t('transparency.refusals')],
    rows: data.months.map((m) => ({ label: `${m.month}-01`, values: [Number(m.accesses || 0) - Number(m.refusals || 0), Number(m.refusals || 0)] })),
  }));
  $('transparency-cells').replaceChildren(table(t('transparency.cells'), [
    { key: 'month', text: true }, { key: 'organisation', text: true }, { key: 'purpose', text: true },
    { key: 'accesses' }, { key: 'refusals' }], data.cells));
  $('transparency-disputes').replaceChildren(table(t('transparency.disputes'), [
    { key: 'month', text: true }, { key: 'organisation', text: true }, { key: 'opened' }, { key: 'open' },
    { key: 'acknowledged' }, { key: 'corrected' }, { key: 'rejected' }, { key: 'upheld' }, { key: 'not_upheld' }],
  data.disputes));
  $('transparency-seals').replaceChildren(table(t('transparency.seals'), [
    { key: 'organisation', text: true }, { key: 'opened', label: 'seals-opened' },
    { key: 'pending', label: 'seals-pending' }], data.seals));
}

async function main() {
  await initI18n();
  for (const b of document.querySelectorAll('[data-lang]'))
    b.addEventListener('click', () => setLang(b.dataset.lang));
  document.addEventListener('mado:lang', render);
  try {
    data = (await api('GET', '/api/v1/transparency')).transparency;
    render();
  } catch (e) {
    $('transparency-error').hidden = false;
    $('transparency-error').textContent = e.message;
  } finally {
    $('main').setAttribute('aria-busy', 'false');
  }
}

main();
