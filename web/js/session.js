// Who is logged in on this browser, as the server says; the page never keeps more.
import { api, setCsrf, Problem } from './api.js';

let current = null; // { method, channel } when logged in

export function session() {
  return current;
}

export async function refresh() {
  try {
    const s = await api('GET', '/api/v1/me/session');
    setCsrf(s.csrf_token);
    current = { method: s.method, channel: s.channel };
  } catch (e) {
    if (!(e instanceof Problem) || e.status >= 500) throw e;
    setCsrf('');
    current = null;
  }
  document.dispatchEvent(new CustomEvent('mado:session'));
  return current;
}

export async function loggedIn(result) {
  setCsrf(result.csrf_token);
  return refresh();
}

export async function logout() {
  await api('POST', '/api/v1/auth/logout');
  setCsrf('');
  current = null;
  document.dispatchEvent(new CustomEvent('mado:session'));
}
