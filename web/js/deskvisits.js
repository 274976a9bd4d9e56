// The resident's desk visits: where, which clerk (by reference, never a name), when, how
// each ended and what was done in it. Every request of a visit is in the access log too.
import { api } from './api.js';
import { t, lang } from './i18n.js';

function item(label, value) {
  const p = document.createElement('p');
  if (label) {
    const b = document.createElement('strong');
    b.textContent = `${label}: `;
    p.append(b);
  }
  p.append(value);
  return p;
}

function visitCard(v) {
  const li = document.createElement('li');
  li.className = 'card';
  li.dataset.visit = v.id;
  const h = document.createElement('h2');
  const org = v.organisation_name || {};
  const when = new Date(v.started_at).toLocaleString(lang() === 'ja' ? 'ja-JP' : 'en-GB');
  h.textContent = `${when} ${(lang() === 'ja' ? org.ja : org.en) || v.organisation}`;
  li.append(h, item(t('deskvisits.clerk'), v.clerk));
  const done = v.themes.filter((x) => x !== 'session').map((x) => t(`desk.theme.${x}`));
  li.append(item(t('deskvisits.done'), done.join(lang() === 'ja' ? '、' : ', ')));
  li.append(item(t('deskvisits.requests'), String(v.requests)));
  if (v.end_reason) li.append(item('', t(`deskvisits.end.${v.end_reason}`)));
  return li;
}

export async function showDeskVisits() {
  const data = await api('GET', '/api/v1/me/desk-visits');
  const list = document.getElementById('deskvisits-list');
  list.replaceChildren(...data.visits.map(visitCard));
  document.getElementById('deskvisits-none').hidden = data.visits.length > 0;
}
