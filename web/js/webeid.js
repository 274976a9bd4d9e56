// The Web eID browser extension: a card's signature over a challenge (the login page's
// and the desk terminal's), through window messages.
// The extension answers window messages (web-eid.js protocol, format web-eid:1).
export function webeid(action, payload, timeout) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      window.removeEventListener('message', onMessage);
      reject(new Error('no-extension'));
    }, timeout);
    function onMessage(ev) {
      if (ev.source !== window || !ev.data || typeof ev.data.action !== 'string') return;
      if (ev.data.action === `${action}-success`) {
        clearTimeout(timer);
        window.removeEventListener('message', onMessage);
        resolve(ev.data);
      } else if (ev.data.action === `${action}-failure`) {
        clearTimeout(timer);
        window.removeEventListener('message', onMessage);
        reject(new Error(ev.data.error && ev.data.error.code ? ev.data.error.code : 'failure'));
      }
    }
    window.addEventListener('message', onMessage);
    window.postMessage({ action, ...payload }, location.origin);
  });
}

export async function hasWebeid() {
  try {
    await webeid('web-eid:status', {}, 1500);
    return true;
  } catch {
    return false;
  }
}

export async function webeidToken(nonce) {
  const reply = await webeid('web-eid:authenticate', { challengeNonce: nonce, lang: document.documentElement.lang }, 120000);
  const { action, ...token } = reply;
  return token;
}
