// The resident's own login history: when, how, and what happened.
import { api } from './api.js';
import { t, lang } from './i18n.js';

let next = 0;

// Reasons of the history's own (a card bound, a session ended by the resident), else the
// login page's explanation of a refusal.
function reason(r) {
  const own = `logins.reason.${r}`;
  return t(own) !== own ? t(own) : t(`login.error.${r}`);
}

function row(item) {
  const tr = document.createElement('tr');
  const when = new Date(item.at);
  const cells = [
    when.toLocaleString(lang() === 'ja' ? 'ja-JP' : 'en-GB'),
    t(`logins.method.${item.method}`),
    t(`logins.event.${item.event}`),
    item.reason ? reason(item.reason) : '',
  ];
  for (const c of cells) {
    const td = document.createElement('td');
    td.textContent = c;
    tr.append(td);
  }
  tr.dataset.event = item.event;
  return tr;
}

async function load(append) {
  const body = document.getElementById('logins-body');
  const more = document.getElementById('logins-more');
  const q = next ? `?limit=20&before=${next}` : '?limit=20';
  const page = await api('GET', `/api/v1/me/logins${q}`);
  const rows = page.items.map(row);
  if (append) body.append(...rows);
  else body.replaceChildren(...rows);
  next = page.next_before || 0;
  more.hidden = !next;
  document.getElementById('logins-empty').hidden = body.children.length > 0;
}

export async function showLogins() {
  next = 0;
  await load(false);
}

export function initLogins() {
  document.getElementById('logins-more').addEventListener('click', () => load(true));
}
