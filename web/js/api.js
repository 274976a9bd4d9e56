// Talking to Mado: JSON in and out, problems as errors with their type, and the CSRF
// token every state-changing request carries once logged in.
import { t } from './i18n.js';

let csrfToken = '';

export function setCsrf(token) {
  csrfToken = token || '';
}

// The problem's message in the page's language (problem.<type>, and reason.<reason> when
// the refusal says why), else the server's title.
function message(status, type, reason, title) {
  const key = `problem.${type}`;
  let s = t(key);
  if (s === key) s = title || `HTTP ${status}`;
  const rkey = `reason.${reason}`;
  if (reason && t(rkey) !== rkey) s += ` (${t(rkey)})`;
  return s;
}

export class Problem extends Error {
  constructor(status, body) {
    const type = (body.type || '').replace('urn:mado:problem:', '');
    super(message(status, type, body.reason || '', body.title));
    this.status = status;
    this.type = type;
    this.reason = body.reason || '';
    this.requestId = body.request_id || '';
  }
}

// One request: JSON in and out, the CSRF token (when given) on every change, a problem
// answer thrown as a Problem. The resident's app, the desk terminal and the supervisor's
// app each pass the token of their own session.
export async function request(method, path, body, token) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin' };
  if (method !== 'GET') {
    if (token) headers['X-CSRF-Token'] = token;
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
    }
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new Problem(0, { type: 'urn:mado:problem:offline', title: 'offline' });
  }
  // The server saw a request: the session's idle clock starts again (idle.js, in the
  // resident's app; the other apps have no idle clock).
  document.dispatchEvent(new CustomEvent('mado:activity'));
  if (res.status === 204) return null;
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Problem(res.status, data);
  return data;
}

export function api(method, path, body) {
  return request(method, path, body, csrfToken);
}
