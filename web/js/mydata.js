// My information: what each holding organisation keeps about the resident, in plain
// words, with downloads, and from any item a correction request or "this is not mine".
// Every visit is itself recorded in the resident's access log (channel "self"). The
// values come from the holders sealed to a key this page makes for the one read; Mado
// passes them on without being able to read them, so the page opens them and builds the
// downloads itself.
import { api } from './api.js';
import { t, lang } from './i18n.js';
import { replyKey, openSealed } from './seal.js';
import { el } from './dom.js';

const name = (o) => (lang() === 'ja' ? o.name_ja : o.name_en);

function day(d) {
  if (!d) return '';
  return new Date(`${d}T00:00:00`).toLocaleDateString(lang() === 'ja' ? 'ja-JP' : 'en-GB',
    { year: 'numeric', month: 'long', day: 'numeric' });
}

// One value member in words: "Income: ¥3,250,000", "Insured: yes".
function member(key, v) {
  const label = t(`mydata.field.${key}`);
  const shown = label === `mydata.field.${key}` ? key : label;
  let text;
  if (typeof v === 'boolean') text = t(v ? 'mydata.yes' : 'mydata.no');
  else if (typeof v === 'number' && /yen/.test(key))
    text = `${v.toLocaleString(lang() === 'ja' ? 'ja-JP' : 'en-GB')}${t('mydata.yen')}`;
  else if (typeof v === 'number') text = v.toLocaleString(lang() === 'ja' ? 'ja-JP' : 'en-GB');
  else if (v !== null && typeof v === 'object') text = JSON.stringify(v);
  else text = String(v ?? '');
  return `${shown}: ${text}`;
}

function valueLines(value) {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return [String(JSON.stringify(value))];
  // A text kept per language shows in the page's language, or whichever there is.
  if ('ja' in value || 'en' in value) return [value[lang()] || value.ja || value.en];
  return Object.entries(value).map(([k, v]) => member(k, v));
}

// The read, opened: the holders' answers, each sealed to key and bound to the record,
// merged into the catalogue's items (each holder's own items only); an item no holder
// sent a value for is not held.
export async function openMyData(data, key) {
  const holderOf = new Map();
  for (const o of data.organisations || []) for (const i of o.items || []) holderOf.set(i.code, o.code);
  const values = {};
  for (const a of data.answers || []) {
    const plain = JSON.parse(await openSealed(key, data.record, a.sealed));
    if (plain.record !== data.record) throw new Error('an answer for another read');
    for (const [code, v] of Object.entries(plain.items || {}))
      if (holderOf.get(code) === a.holder) values[code] = v;
  }
  const organisations = [];
  for (const o of data.organisations || []) {
    const items = (o.items || []).filter((i) => Object.hasOwn(values, i.code))
      .map((i) => ({ ...i, value: values[i.code].value, as_of: values[i.code].as_of ?? null }));
    if (items.length) organisations.push({ ...o, items });
  }
  return { read_at: data.read_at, entry: data.entry, organisations };
}

// A read for the page: a fresh reply key, the recorded read, its answers opened.
export async function readMyData(get) {
  const key = await replyKey();
  const data = await get(`/api/v1/me/data?reply_key=${key.text}`);
  return openMyData(data, key);
}

const CSV_COLUMNS = ['organisation', 'organisation_ja', 'organisation_en', 'item', 'item_ja',
  'item_en', 'source_ja', 'source_en', 'value', 'as_of', 'frozen'];

// A cell as spreadsheets read it safely: quoted, quotes doubled, a leading = + - @ made
// inert with an apostrophe.
function cell(v) {
  const s = String(v ?? '');
  return `"${/^[=+\-@]/.test(s) ? "'" : ''}${s.replace(/"/g, '""')}"`;
}

// The downloads, made here from the opened values (item: one item's, else all).
function csvText(doc, item) {
  const lines = [CSV_COLUMNS.join(',')];
  for (const o of doc.organisations) {
    for (const i of o.items) {
      if (item && i.code !== item) continue;
      lines.push([o.code, o.name_ja, o.name_en, i.code, i.name_ja, i.name_en, i.source_ja,
        i.source_en, JSON.stringify(i.value), i.as_of || '', i.frozen ? 'true' : 'false']
        .map(cell).join(','));
    }
  }
  // A BOM so that spreadsheet programs read the Japanese names as UTF-8.
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

function jsonText(doc, item) {
  if (!item) return JSON.stringify(doc, null, 2);
  const organisations = doc.organisations.map((o) => ({ ...o, items: o.items.filter((i) => i.code === item) }))
    .filter((o) => o.items.length);
  return JSON.stringify({ ...doc, organisations }, null, 2);
}

// Object URLs of the shown downloads, let go when the page is drawn again.
let downloads = [];

function dropDownloads() {
  for (const u of downloads) URL.revokeObjectURL(u);
  downloads = [];
}

function setDownload(a, doc, format, item) {
  const text = format === 'csv' ? csvText(doc, item) : jsonText(doc, item);
  const type = format === 'csv' ? 'text/csv;charset=utf-8' : 'application/json';
  const url = URL.createObjectURL(new Blob([text], { type }));
  downloads.push(url);
  a.href = url;
  a.download = `mado-my-information-${item ? `${item}-` : ''}${(doc.read_at || '').slice(0, 10)}.${format}`;
  a.dataset.mydataExport = format;
}

function exportLink(doc, format, item) {
  const a = el('a', '', format.toUpperCase());
  setDownload(a, doc, format, item);
  return a;
}

function caseForm(item, kind, box, msg) {
  const form = el('form', 'case-form');
  const id = `mydata-note-${item.code.replace(/[^a-z0-9]/g, '-')}-${kind}`;
  const label = el('label', '', t(kind === 'correction' ? 'mydata.correction.note' : 'mydata.not-mine.note'));
  label.htmlFor = id;
  const note = el('textarea');
  note.id = id;
  note.maxLength = 1000;
  note.rows = 3;
  note.required = kind === 'correction';
  const send = el('button', 'primary', t(kind === 'correction' ? 'mydata.correction.send' : 'mydata.not-mine.send'));
  send.type = 'submit';
  const cancel = el('button', 'secondary', t('dispute.cancel'));
  cancel.type = 'button';
  cancel.addEventListener('click', () => form.remove());
  const actions = el('div', 'actions');
  actions.append(send, cancel);
  form.append(label, note, actions);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const text = note.value.trim();
    try {
      const r = await api('POST', `/api/v1/me/data/${encodeURIComponent(item.code)}/disputes`,
        text ? { kind, note: text } : { kind });
      msg.textContent = t(kind === 'correction' ? 'mydata.correction.sent' : 'mydata.not-mine.sent',
        { case: r.case_no });
      form.remove();
      await showMyData(false);
      msg.hidden = false;
    } catch (e) {
      msg.textContent = t('dispute.failed', { title: e.message });
      msg.hidden = false;
    }
  });
  box.append(form);
  note.focus();
}

function itemCard(doc, item, msg) {
  const li = el('li', 'mydata-item');
  li.dataset.item = item.code;
  li.append(el('h3', '', name(item)));
  const dl = el('dl', 'facts');
  const add = (key, value) => {
    if (!value) return;
    dl.append(el('dt', '', t(key)), el('dd', '', value));
  };
  const values = el('dd');
  for (const line of valueLines(item.value)) values.append(el('div', '', line));
  dl.append(el('dt', '', t('mydata.value')), values);
  add('mydata.as-of', day(item.as_of));
  add('mydata.source', lang() === 'ja' ? item.source_ja : item.source_en);
  if (item.frozen) add('mydata.frozen', t('mydata.frozen.text'));
  for (const c of item.cases) {
    add('mydata.case', `${c.case_no} · ${t(`mydata.kind.${c.kind}`)} · ${t(`dispute.status.${c.status}`)}`
      + (c.answer ? ` — ${c.answer}` : ''));
  }
  li.append(dl);
  const links = el('p', 'export');
  links.append(el('span', '', t('mydata.download')), exportLink(doc, 'csv', item.code),
    exportLink(doc, 'json', item.code));
  li.append(links);
  const actions = el('div', 'actions');
  const fix = el('button', 'secondary', t('mydata.correction.button'));
  fix.type = 'button';
  fix.dataset.case = 'correction';
  const notMine = el('button', 'secondary', t('mydata.not-mine.button'));
  notMine.type = 'button';
  notMine.dataset.case = 'not-mine';
  for (const b of [fix, notMine]) {
    b.addEventListener('click', () => {
      li.querySelector('form')?.remove();
      caseForm(item, b.dataset.case, li, msg);
    });
  }
  actions.append(fix, notMine);
  li.append(actions);
  return li;
}

export async function showMyData(clear = true) {
  const box = document.getElementById('mydata-list');
  const msg = document.getElementById('mydata-message');
  if (clear) {
    msg.hidden = true;
    // No stale items (and no open form) from an earlier visit while this one loads.
    box.replaceChildren();
  }
  const all = document.getElementById('mydata-export');
  all.hidden = true;
  dropDownloads();
  let doc;
  try {
    doc = await readMyData((path) => api('GET', path));
  } catch (e) {
    box.replaceChildren(el('p', 'error', t('mydata.failed', { title: e.message })));
    return;
  }
  const groups = doc.organisations.map((o) => {
    const section = el('section', 'card mydata-org');
    section.dataset.org = o.code;
    section.append(el('h2', '', name(o)));
    const ul = el('ul', 'mydata-items');
    ul.append(...o.items.map((i) => itemCard(doc, i, msg)));
    section.append(ul);
    return section;
  });
  box.replaceChildren(...groups);
  for (const a of all.querySelectorAll('a[data-mydata-export]')) setDownload(a, doc, a.dataset.mydataExport);
  all.hidden = groups.length === 0;
  document.getElementById('mydata-empty').hidden = groups.length > 0;
}

export function initMyData() {
  document.addEventListener('mado:lang', () => {
    if (!document.querySelector('[data-view="mydata"]').hidden) showMyData().catch(() => {});
  });
}
