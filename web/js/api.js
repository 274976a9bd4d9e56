// Talking to Mado: JSON in and out, problems as errors with their type, and the CSRF
// token every state-changing request carries once logged in.
let csrfToken = '';

export function setCsrf(token) {
  csrfToken = token || '';
}

export class Problem extends Error {
  constructor(status, body) {
    super(body.title || `HTTP ${status}`);
    this.status = status;
    this.type = (body.type || '').replace('urn:mado:problem:', '');
    this.reason = body.reason || '';
    this.requestId = body.request_id || '';
  }
}

export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin' };
  if (method !== 'GET') {
    if (csrfToken) headers['X-CSRF-Token'] = csrfToken;
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
  // The server saw a request: the session's idle clock starts again (idle.js).
  document.dispatchEvent(new CustomEvent('mado:activity'));
  if (res.status === 204) return null;
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Problem(res.status, data);
  return data;
}
