// The notice list (access alerts, answers to disputes, agencies' push notices), the alert
// setting, and the push programmes the person turns on and off.
import { api } from './api.js';
import { withCard } from './stepup.js';
import { t, lang } from './i18n.js';
import { nameFor } from './access.js';

function item(n, org) {
  const li = document.createElement('li');
  li.className = `notice-item ${n.kind}`;
  const at = new Date(n.created_at).toLocaleString(lang() === 'ja' ? 'ja-JP' : 'en-GB');
  const text = n.kind === 'access' ? t('notices.access', { org })
    : n.kind === 'push' ? t('notices.push', { title: n.title || '', body: n.body || '' })
      : n.kind === 'login' ? t('notices.login', { method: t(`logins.method.${n.title}`) })
      : n.kind === 'card' ? t(`notices.card.${n.title}`)
      : n.kind === 'proxy' ? t(`notices.proxy.${n.title}`, { label: n.body || '' })
      : n.kind === 'device' ? t(`notices.device.${n.title}`)
      : t('notices.dispute', { case: n.case_no || '' });
  const time = document.createElement('time');
  time.textContent = at;
  li.append(time, document.createTextNode(` ${text}`));
  li.dataset.read = String(n.read);
  if (!n.read) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'secondary';
    b.textContent = t('notices.mark-read');
    b.addEventListener('click', async () => {
      await api('POST', `/api/v1/me/notices/${n.id}/read`);
      li.dataset.read = 'true';
      b.remove();
    });
    li.append(document.createTextNode(' '), b);
  }
  if (n.entry) {
    const a = document.createElement('a');
    a.href = `#/access-entry?id=${n.entry}`;
    a.textContent = t('notices.open');
    li.append(document.createTextNode(' '), a);
  }
  return li;
}

function pick(o) {
  return o ? (lang() === 'ja' ? o.ja : o.en) : '';
}

function para(text, cls) {
  const p = document.createElement('p');
  if (cls) p.className = cls;
  p.textContent = text;
  return p;
}

function day(s) {
  return new Date(s).toLocaleDateString(lang() === 'ja' ? 'ja-JP' : 'en-GB', {
    year: 'numeric', month: 'long', day: 'numeric', timeZone: 'Asia/Tokyo',
  });
}

// One programme: its terms in plain words, whether it is on, and the switch. Turning on
// is a consent like any other (the person's own session); turning off withdraws it.
async function programme(g, consent) {
  const li = document.createElement('li');
  li.className = 'push-item';
  li.dataset.programme = g.code;
  li.dataset.on = String(Boolean(consent));
  const h = document.createElement('h3');
  h.textContent = pick(g.name);
  const items = await Promise.all((g.items || []).map((i) => nameFor('items', i)));
  li.append(
    h,
    para(t('push.from', { org: pick(g.organisation_name) })),
    para(t('push.purpose', { purpose: pick(g.purpose_name), explain: pick(g.purpose_explain) })),
    para(t('push.items', { items: items.join(lang() === 'ja' ? '、' : ', ') || '—' })),
    para(t('push.max', { n: g.max_per_month })),
    para(consent ? t('push.on', { date: day(consent.valid_until) }) : t('push.off'), 'push-state'),
  );
  const b = document.createElement('button');
  b.type = 'button';
  b.className = consent ? 'secondary' : 'primary';
  b.textContent = consent ? t('push.turn-off') : t('push.turn-on');
  b.addEventListener('click', async () => {
    const msg = document.getElementById('push-message');
    b.disabled = true;
    try {
      if (consent) await api('POST', `/api/v1/me/consents/${consent.id}/revoke`);
      else await withCard(() => api('POST', '/api/v1/me/consents/push', { programme: g.code, valid_days: 365 }));
      msg.textContent = consent ? t('push.turned-off', { name: pick(g.name) })
        : t('push.turned-on', { name: pick(g.name) });
      msg.className = 'notice ok';
    } catch (e) {
      msg.textContent = e.message;
      msg.className = 'notice error';
    }
    msg.hidden = false;
    await showProgrammes();
  });
  li.append(b);
  return li;
}

async function showProgrammes() {
  const [list, mine] = await Promise.all([
    api('GET', '/api/v1/push-programmes'),
    api('GET', '/api/v1/me/consents'),
  ]);
  const on = (code) => mine.consents.find((c) => c.kind === 'push_notice' && c.programme === code
    && c.status === 'active');
  const lis = await Promise.all(list.programmes.map((g) => programme(g, on(g.code))));
  document.getElementById('push-list').replaceChildren(...lis);
}

export async function showNotices() {
  const [alerts, list] = await Promise.all([
    api('GET', '/api/v1/me/alerts'),
    api('GET', '/api/v1/me/notices'),
    showProgrammes(),
  ]);
  document.getElementById('alert-mode').value = alerts.mode;
  const ul = document.getElementById('notices-list');
  const orgs = await Promise.all(list.notices.map((n) => nameFor('orgs', n.organisation)));
  ul.replaceChildren(...list.notices.map((n, i) => item(n, orgs[i])));
  document.getElementById('notices-empty').hidden = list.notices.length > 0;
}

export function initNotices() {
  document.getElementById('alert-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const msg = document.getElementById('alert-saved');
    try {
      await api('PUT', '/api/v1/me/alerts', { mode: document.getElementById('alert-mode').value });
      msg.textContent = t('alerts.saved');
    } catch (e) {
      msg.textContent = e.message;
    }
    msg.hidden = false;
  });
}
