// The public registers: the current version of every legal basis, private-service
// registration and organisation certificate, and each entry's history. Anyone may read
// them; an access-log entry names the version it was served under.
import { init as initI18n, setLang, t, apply } from './i18n.js';
import { api } from './api.js';
import { when, contentList } from './registers-view.js';
import { el } from './dom.js';

const $ = (id) => document.getElementById(id);

function showError(e) {
  const box = $('registers-error');
  box.hidden = !e;
  box.textContent = e ? e.message : '';
}

function approvedCell(v) {
  const td = el('td');
  td.append(el('div', '', when(v.approved_at)));
  td.append(el('div', 'muted', v.approved_by ? t('registers.by', { who: v.approved_by })
    : t('registers.migrated')));
  return td;
}

async function history(v) {
  showError(null);
  try {
    const q = new URLSearchParams({ kind: v.kind, key: v.key });
    const data = await api('GET', `/api/v1/registers/history?${q}`);
    const body = $('registers-history').querySelector('tbody');
    body.replaceChildren();
    for (const h of data.versions) {
      const tr = el('tr');
      tr.dataset.version = String(h.version);
      const cell = el('td');
      cell.append(contentList(h.kind, h.content));
      const proposed = el('td', '', h.proposer ? `${h.proposer} ${when(h.proposed_at)}` : '—');
      tr.append(el('td', '', String(h.version)), cell, proposed, approvedCell(h));
      body.append(tr);
    }
    $('registers-history-section').hidden = false;
    const title = $('registers-history-title');
    title.textContent = t('registers.history.of', { key: v.key });
    title.focus();
  } catch (e) {
    showError(e);
  }
}

async function load() {
  showError(null);
  const kind = $('registers-kind').value;
  try {
    const data = await api('GET', `/api/v1/registers?kind=${encodeURIComponent(kind)}`);
    const body = $('registers-current').querySelector('tbody');
    body.replaceChildren();
    for (const v of data.entries) {
      const tr = el('tr');
      const cell = el('td');
      cell.append(contentList(v.kind, v.content));
      const btn = el('button', 'link', t('registers.history'));
      btn.type = 'button';
      btn.setAttribute('aria-label', t('registers.history.of', { key: v.key }));
      btn.addEventListener('click', () => history(v));
      const last = el('td');
      last.append(btn);
      tr.append(el('th', '', v.key), el('td', '', String(v.version)), cell, approvedCell(v), last);
      tr.firstChild.setAttribute('scope', 'row');
      body.append(tr);
    }
    $('registers-history-section').hidden = true;
  } catch (e) {
    showError(e);
  }
}

async function main() {
  await initI18n();
  apply();
  for (const b of document.querySelectorAll('[data-lang]'))
    b.addEventListener('click', () => setLang(b.dataset.lang));
  document.addEventListener('mado:lang', load);
  $('registers-kind').addEventListener('change', load);
  await load();
}

main();
