// The notice list (access alerts, answers to disputes) and the alert setting.
import { api } from './api.js';
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

export async function showNotices() {
  const [alerts, list] = await Promise.all([
    api('GET', '/api/v1/me/alerts'),
    api('GET', '/api/v1/me/notices'),
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
