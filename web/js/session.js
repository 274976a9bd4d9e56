// Who is logged in on this browser, as the server says; the page never keeps more.
import { api, setCsrf, Problem } from './api.js';

let current = null; // { method, channel, shared, idle } when logged in

export function session() {
  return current;
}

export async function refresh() {
  try {
    const s = await api('GET', '/api/v1/me/session');
    setCsrf(s.csrf_token);
    current = { method: s.method, channel: s.channel, shared: !!s.shared, idle: s.idle_timeout_s };
    // A proxy acting for someone: for whom, in which themes (none once the mandate ends).
    if (s.channel === 'proxy')
      current.acting = await api('GET', '/api/v1/proxy/acting').catch(() => ({ ended: true }));
  } catch (e) {
    if (!(e instanceof Problem) || e.status >= 500) throw e;
    setCsrf('');
    // An acting-for session whose mandate has ended may do nothing but go back.
    current = e.type === 'own-session-only' ? { channel: 'proxy', acting: { ended: true } } : null;
  }
  document.dispatchEvent(new CustomEvent('mado:session'));
  return current;
}

export async function loggedIn(result) {
  setCsrf(result.csrf_token);
  return refresh();
}

export async function logout() {
  const shared = current && current.shared;
  await api('POST', '/api/v1/auth/logout');
  // A shared computer keeps nothing of the resident (the server also sends
  // Clear-Site-Data), not even the language chosen.
  if (shared) {
    localStorage.clear();
    sessionStorage.clear();
  }
  setCsrf('');
  current = null;
  document.dispatchEvent(new CustomEvent('mado:session'));
}
