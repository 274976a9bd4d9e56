// The thin client: the service worker (sw.js) that keeps the shell for offline use, the
// offline view when the service cannot be reached, and the prompt when a new version of
// the page is ready.
let updating = false;

function promptUpdate(worker) {
  const box = document.getElementById('update-prompt');
  box.hidden = false;
  document.getElementById('update-reload').onclick = () => {
    updating = true;
    worker.postMessage('skip-waiting');
  };
}

export function initOffline() {
  window.addEventListener('offline', () => { document.body.dataset.online = 'false'; });
  window.addEventListener('online', () => { document.body.dataset.online = 'true'; });
  if (!('serviceWorker' in navigator)) return;
  // Only the update the person asked for reloads the page; the first worker taking
  // control changes nothing they see.
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (!updating) return;
    updating = false;
    location.reload();
  });
  navigator.serviceWorker.register('/sw.js', { scope: '/' }).then((reg) => {
    if (reg.waiting && navigator.serviceWorker.controller) promptUpdate(reg.waiting);
    reg.addEventListener('updatefound', () => {
      const w = reg.installing;
      if (!w) return;
      w.addEventListener('statechange', () => {
        // A new version is ready while an old one runs this page: ask before switching.
        if (w.state === 'installed' && navigator.serviceWorker.controller) promptUpdate(w);
      });
    });
  }).catch(() => {});
}
