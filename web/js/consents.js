// Consent: what a service asks for, in plain words, with the person's decision; the list
// of consents with pause, resume, revoke and the receipt; one consent's history and uses.
import { api } from './api.js';
import { withCard } from './stepup.js';
import { t, lang } from './i18n.js';
import { nameFor } from './access.js';
import { el } from './dom.js';

function when(s) {
  return s ? new Date(s).toLocaleString(lang() === 'ja' ? 'ja-JP' : 'en-GB') : '';
}

async function itemNames(codes) {
  return Promise.all(codes.map((c) => nameFor('items', c)));
}

function sep() {
  return lang() === 'ja' ? '、' : ', ';
}

function frequency(f) {
  return f.unit === 'once' ? t('consent.freq.once') : t(`consent.freq.${f.unit}`, { max: f.max });
}

// The request screen: who asks, for what, for how long; what it may never ask.
export async function showRequest(params) {
  const id = params.get('id') || '';
  const msg = document.getElementById('request-message');
  const form = document.getElementById('request-form');
  msg.hidden = true;
  const r = await api('GET', `/api/v1/consent-requests/${encodeURIComponent(id)}`);
  form.dataset.id = r.id;
  form.hidden = r.status !== 'pending';
  const purpose = r.purpose_text || {};
  const box = document.getElementById('request-detail');
  const dl = el('dl', 'facts');
  const add = (k, v) => dl.append(el('dt', '', t(k)), el('dd', '', v));
  add('request.who', lang() === 'ja' ? r.recipient_name.ja : r.recipient_name.en);
  add('request.why', `${lang() === 'ja' ? purpose.ja : purpose.en}: ${lang() === 'ja' ? purpose.explain_ja : purpose.explain_en}`);
  add('request.period', t('request.days', { days: r.valid_days }));
  add('request.frequency', frequency(r.frequency));
  add('request.life', r.data_life_days > 0 ? t('request.life.days', { days: r.data_life_days }) : t('request.life.none'));
  if (r.data_from || r.data_to) add('request.range', `${r.data_from || '…'} – ${r.data_to || '…'}`);
  box.replaceChildren(dl);
  if (r.status !== 'pending') {
    msg.textContent = t('request.closed');
    msg.hidden = false;
  }
  const names = await itemNames(r.items);
  const items = document.getElementById('request-items');
  items.replaceChildren(...r.items.map((code, i) => {
    const label = el('label', 'check');
    const box = el('input');
    box.type = 'checkbox';
    box.name = 'item';
    box.value = code;
    box.checked = true;
    label.append(box, document.createTextNode(` ${names[i]}`));
    return label;
  }));
  const never = await itemNames(r.never_items);
  document.getElementById('request-never').textContent = t('request.never', { items: never.join(sep()) });
}

async function decide(approve) {
  const form = document.getElementById('request-form');
  const msg = document.getElementById('request-message');
  const items = [...form.querySelectorAll('input[name="item"]:checked')].map((b) => b.value);
  if (approve && items.length === 0) {
    msg.textContent = t('request.none');
    msg.hidden = false;
    return;
  }
  try {
    const r = await withCard(() => api('POST',
      `/api/v1/me/consent-requests/${form.dataset.id}/decision`,
      approve ? { approve: true, items } : { approve: false }));
    msg.textContent = t(approve ? 'request.approved' : 'request.refused');
    msg.className = 'notice ok';
    msg.hidden = false;
    form.hidden = true;
    location.assign(r.redirect); // back to the service, with its code or the refusal
  } catch (e) {
    msg.textContent = t('request.failed', { title: e.message });
    msg.className = 'notice error';
    msg.hidden = false;
  }
}

async function consentCard(c) {
  const li = el('li', 'entry');
  li.dataset.id = c.id;
  li.dataset.status = c.status;
  const head = el('div', 'entry-head');
  head.append(el('span', 'who', await nameFor('orgs', c.recipient)),
    el('span', `badge ${c.status === 'active' ? 'served' : 'denied'}`, t(`consent.status.${c.status}`)));
  li.append(head);
  li.append(el('p', 'what', c.kind === 'push_notice' ? t('consent.kind.push')
    : (await itemNames(c.items)).join(sep())));
  li.append(el('p', 'why', t('consent.line', { until: when(c.valid_until), uses: c.uses })));
  const actions = el('div', 'actions');
  const button = (action) => {
    const b = el('button', 'secondary', t(`consent.${action}`));
    b.type = 'button';
    b.dataset.action = action;
    b.addEventListener('click', () => change(c.id, action));
    return b;
  };
  if (c.status === 'active') actions.append(button('pause'), button('revoke'));
  if (c.status === 'paused') actions.append(button('resume'), button('revoke'));
  const more = el('a', '', t('consent.more'));
  more.href = `#/consent?id=${c.id}`;
  const receipt = el('a', '', t('consent.receipt'));
  receipt.href = `/api/v1/me/consents/${c.id}/receipt`;
  receipt.setAttribute('download', '');
  actions.append(more, receipt);
  li.append(actions);
  return li;
}

async function change(id, action) {
  const msg = document.getElementById('consents-message');
  try {
    const r = await withCard(() => api('POST', `/api/v1/me/consents/${id}/${action}`));
    msg.textContent = t('consent.changed', { status: t(`consent.status.${r.status}`) });
    msg.className = 'notice ok';
  } catch (e) {
    msg.textContent = e.message;
    msg.className = 'notice error';
  }
  msg.hidden = false;
  await showConsents(false);
  // The button pressed is gone with the old list: keep the focus on the result instead.
  msg.focus();
}

export async function showConsents(clear = true) {
  if (clear) document.getElementById('consents-message').hidden = true;
  const r = await api('GET', '/api/v1/me/consents');
  const list = document.getElementById('consents-list');
  list.replaceChildren(...await Promise.all(r.consents.map(consentCard)));
  document.getElementById('consents-empty').hidden = r.consents.length > 0;
}

export async function showConsent(params) {
  const c = await api('GET', `/api/v1/me/consents/${encodeURIComponent(params.get('id') || '')}`);
  document.getElementById('consent-detail').replaceChildren(await consentCard(c));
  // Each step with its own signed receipt.
  document.getElementById('consent-history').replaceChildren(...c.history.map((h) => {
    const li = el('li', '', `${when(h.at)} ${t(`consent.event.${h.type}`)} (${h.channel}) `);
    const a = el('a', '', t('consent.step-receipt'));
    a.href = `/api/v1/me/consents/${encodeURIComponent(c.id)}/receipt?event=${h.event}`;
    a.download = `mado-consent-receipt-${h.event}.json`;
    li.append(a);
    return li;
  }));
  document.getElementById('consent-uses').replaceChildren(...await Promise.all(c.use_list.map(async (u) => {
    const li = el('li');
    const a = el('a', '', `${when(u.at)} ${(await itemNames(u.items)).join(sep())}`);
    a.href = `#/access-entry?id=${u.entry}`;
    li.append(a);
    return li;
  })));
}

export function initConsents() {
  const form = document.getElementById('request-form');
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    decide(true);
  });
  document.getElementById('request-refuse').addEventListener('click', () => decide(false));
}
