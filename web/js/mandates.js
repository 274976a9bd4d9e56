// Proxy mandates: give one (themes, a label, the last day) and pass on its one-time code;
// review and revoke those given, and see what the proxy did; accept one with a code and
// act for its giver; set the safety flag. While acting for someone, a banner on every
// screen says for whom and offers the way back.
import { api, Problem } from './api.js';
import { withCard } from './stepup.js';
import { t, lang } from './i18n.js';
import { el } from './dom.js';

export const THEMES = ['access-log', 'my-information', 'notices', 'withdraw-consents', 'disputes'];

function day(iso) {
  return iso ? new Date(iso).toLocaleDateString(lang() === 'ja' ? 'ja-JP' : 'en-GB') : '';
}

function message(text, ok = true) {
  const m = document.getElementById('mandates-message');
  m.textContent = text;
  m.classList.toggle('error', !ok);
  m.hidden = false;
}

function themesText(list) {
  return (list || []).map((x) => t(`theme.${x}`)).join(lang() === 'ja' ? '、' : ', ');
}

async function actions(m, box) {
  const r = await api('GET', `/api/v1/me/mandates/${m.id}/actions`);
  const ol = el('ol', 'timeline');
  ol.dataset.actions = m.id;
  for (const a of r.items) {
    const when = new Date(a.occurred_at).toLocaleString(lang() === 'ja' ? 'ja-JP' : 'en-GB');
    ol.append(el('li', '', `${when} ${themesText(a.themes)}`));
  }
  if (!r.items.length) ol.append(el('li', '', t('mandates.actions.none')));
  box.replaceChildren(ol);
}

function item(m, reload) {
  const li = el('li', 'card mandate');
  li.dataset.mandate = m.id;
  li.dataset.state = m.state;
  li.append(el('h3', '', m.label || t('mandates.unlabelled')));
  li.append(el('p', '', `${t('mandates.themes')}: ${themesText(m.themes)}`));
  li.append(el('p', '', t('mandates.until', { day: day(m.ends_at) })));
  li.append(el('p', 'state', t(`mandates.state.${m.state}`)));
  const live = m.state === 'active' || m.state === 'pending';
  const row = el('div', 'actions');
  if (m.role === 'given') {
    if (live) {
      const b = el('button', 'secondary', t('mandates.revoke'));
      b.type = 'button';
      b.dataset.revoke = m.id;
      b.addEventListener('click', async () => {
        b.disabled = true;
        try {
          await api('POST', `/api/v1/me/mandates/${m.id}/revoke`);
          message(t('mandates.revoked'));
        } catch (e) {
          message(e.message, false);
        }
        await reload();
      });
      row.append(b);
    }
    if (m.accepted_at) {
      const box = el('div');
      const b = el('button', 'secondary', t('mandates.actions'));
      b.type = 'button';
      b.dataset.actions = m.id;
      b.addEventListener('click', () => actions(m, box).catch((e) => message(e.message, false)));
      row.append(b);
      li.append(row, box);
      return li;
    }
  } else if (m.state === 'active') {
    const b = el('button', 'primary', t('mandates.act', { label: m.label }));
    b.type = 'button';
    b.dataset.act = m.id;
    b.addEventListener('click', async () => {
      b.disabled = true;
      try {
        await api('POST', `/api/v1/proxy/mandates/${m.id}/act`);
        // A fresh page in the acting-for session: nothing of the own session's screen stays.
        location.replace('#/');
        location.reload();
      } catch (e) {
        b.disabled = false;
        message(e.message, false);
      }
    });
    row.append(b);
  }
  li.append(row);
  return li;
}

export async function showMandates() {
  const r = await api('GET', '/api/v1/me/mandates');
  const given = r.items.filter((m) => m.role === 'given');
  const received = r.items.filter((m) => m.role === 'received');
  document.getElementById('mandates-given').replaceChildren(...given.map((m) => item(m, showMandates)));
  document.getElementById('mandates-given-empty').hidden = given.length > 0;
  document.getElementById('mandates-received').replaceChildren(
    ...received.map((m) => item(m, showMandates)));
  document.getElementById('mandates-received-empty').hidden = received.length > 0;
  document.getElementById('safety-on').hidden = !r.safety_flag;
  document.getElementById('safety-off').hidden = r.safety_flag;
  document.getElementById('safety-set').hidden = r.safety_flag;
  document.getElementById('mandate-give-send').disabled = r.safety_flag;
  // The last day: after today, at most a year ahead.
  const ends = document.getElementById('mandate-ends');
  const today = new Date();
  const iso = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  const min = new Date(today); min.setDate(min.getDate() + 1);
  const max = new Date(today); max.setFullYear(max.getFullYear() + 1);
  const dflt = new Date(today); dflt.setMonth(dflt.getMonth() + 3);
  ends.min = iso(min);
  ends.max = iso(max);
  if (!ends.value) ends.value = iso(dflt);
}

function renderThemes() {
  const box = document.getElementById('mandate-themes');
  const checked = new Set([...box.querySelectorAll('input:checked')].map((i) => i.value));
  box.replaceChildren(...THEMES.map((x) => {
    const label = el('label');
    const input = el('input');
    input.type = 'checkbox';
    input.name = 'theme';
    input.value = x;
    input.checked = checked.has(x);
    label.append(input, document.createTextNode(t(`theme.${x}`)));
    return label;
  }));
}

export function initMandates() {
  renderThemes();
  document.addEventListener('mado:lang', renderThemes);
  document.getElementById('mandate-give').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const themes = [...document.querySelectorAll('#mandate-themes input:checked')].map((i) => i.value);
    if (!themes.length) {
      message(t('mandates.give.pick'), false);
      return;
    }
    try {
      const r = await withCard(() => api('POST', '/api/v1/me/mandates', {
        themes,
        label: document.getElementById('mandate-label').value.trim(),
        ends_on: document.getElementById('mandate-ends').value,
      }));
      document.getElementById('mandate-code').textContent = r.code;
      document.getElementById('mandate-code-box').hidden = false;
      message(t('mandates.given.ok'));
      await showMandates();
    } catch (e) {
      message(e.message, false);
    }
  });
  document.getElementById('mandate-accept').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await api('POST', '/api/v1/proxy/accept', {
        code: document.getElementById('accept-code').value.trim(),
        label: document.getElementById('accept-label').value.trim(),
      });
      document.getElementById('accept-code').value = '';
      message(t('mandates.accepted'));
      await showMandates();
    } catch (e) {
      message(e instanceof Problem ? e.message : String(e), false);
    }
  });
  document.getElementById('safety-set').addEventListener('click', async () => {
    if (!document.getElementById('safety-confirm').checked) {
      message(t('safety.confirm-first'), false);
      return;
    }
    try {
      await api('POST', '/api/v1/me/safety-flag');
      message(t('safety.done'));
      await showMandates();
    } catch (e) {
      message(e.message, false);
    }
  });
}

// Back to the proxy's own session: the acting-for one ends, the page starts anew.
export async function backToOwn() {
  await api('POST', '/api/v1/proxy/return').catch(() => {});
  location.replace('#/mandates');
  location.reload();
}
