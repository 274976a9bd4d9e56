// Cards and sessions bound to the resident: every card (issuer, validity, last use; the
// serial only by its last four digits) and every open session, any other of which the
// resident can end here.
import { api } from './api.js';
import { t, lang } from './i18n.js';

function when(iso) {
  return iso ? new Date(iso).toLocaleString(lang() === 'ja' ? 'ja-JP' : 'en-GB') : t('sessions.never');
}

function day(iso) {
  return iso ? new Date(iso).toLocaleDateString(lang() === 'ja' ? 'ja-JP' : 'en-GB') : '';
}

function line(key, value) {
  const p = document.createElement('p');
  const b = document.createElement('span');
  b.className = 'label';
  b.textContent = t(key);
  p.append(b, document.createTextNode(` ${value}`));
  return p;
}

function cardItem(c) {
  const li = document.createElement('li');
  li.className = 'card';
  li.dataset.card = c.id;
  const h = document.createElement('h3');
  h.textContent = t('sessions.card.name', { end: c.serial_end });
  li.append(h,
    line('sessions.card.issuer', c.issuer || '—'),
    line('sessions.card.valid', t('sessions.card.range', { from: day(c.not_before), to: day(c.not_after) })),
    line('sessions.card.bound', when(c.bound_at)),
    line('sessions.card.used', when(c.last_used_at)));
  if (c.revoked_at) li.append(line('sessions.card.revoked', when(c.revoked_at)));
  return li;
}

function sessionItem(s, reload) {
  const li = document.createElement('li');
  li.className = 'card';
  li.dataset.session = s.id;
  li.dataset.current = String(s.current);
  const h = document.createElement('h3');
  h.textContent = s.current ? t('sessions.session.this') : t(`logins.method.${s.method}`);
  li.append(h,
    line('sessions.session.method', t(`logins.method.${s.method}`)),
    line('sessions.session.started', when(s.started_at)),
    line('sessions.session.seen', when(s.last_seen_at)),
    line('sessions.session.where', s.network || t('sessions.session.where-unknown')));
  if (s.shared) li.append(line('sessions.session.shared', t('sessions.session.shared-yes')));
  if (!s.current) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'secondary';
    b.textContent = t('sessions.session.end');
    b.addEventListener('click', async () => {
      b.disabled = true;
      await api('DELETE', `/api/v1/me/sessions/${encodeURIComponent(s.id)}`).catch(() => {});
      await reload();
    });
    li.append(b);
  }
  return li;
}

export async function showSessions() {
  const [cards, sessions] = await Promise.all([
    api('GET', '/api/v1/me/cards'),
    api('GET', '/api/v1/me/sessions'),
  ]);
  document.getElementById('sessions-cards').replaceChildren(...cards.items.map(cardItem));
  document.getElementById('sessions-list').replaceChildren(
    ...sessions.items.map((s) => sessionItem(s, showSessions)));
}
