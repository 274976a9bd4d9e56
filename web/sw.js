// The thin client's service worker: the page shell and static files, so that the app
// opens and says so when there is no connection. It never stores an API answer or
// anything personal: /api/ requests, and anything not in SHELL or a static folder, go
// to the network untouched. Online, files come from the network (and refresh the copy);
// offline, from the copy; a page with neither gets the offline page.
const VERSION = 'mado-shell-1';
const SHELL = [
  '/', '/offline.html', '/manifest.webmanifest', '/favicon.svg',
  '/icons/icon-192.png', '/icons/icon-512.png',
  '/css/tokens.css', '/css/app.css',
  '/i18n/ja.json', '/i18n/en.json',
  '/js/app.js', '/js/api.js', '/js/dom.js', '/js/i18n.js', '/js/session.js', '/js/login.js', '/js/logins.js',
  '/js/sessions.js', '/js/idle.js', '/js/access.js', '/js/notices.js', '/js/consents.js',
  '/js/mydata.js', '/js/seal.js', '/js/passkey.js', '/js/stepup.js', '/js/offline.js',
];
const STATIC = /^\/(css|js|i18n|icons)\/[A-Za-z0-9._-]+$/;

function cacheable(url) {
  if (url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return false;
  return SHELL.includes(url.pathname) || STATIC.test(url.pathname);
}

self.addEventListener('install', (ev) => {
  // Each file on its own: one that cannot be had now does not stop the rest.
  ev.waitUntil(caches.open(VERSION).then((c) => Promise.allSettled(SHELL.map((u) => c.add(u)))));
});

self.addEventListener('activate', (ev) => {
  ev.waitUntil(caches.keys().then((keys) =>
    Promise.all(keys.filter((k) => k !== VERSION).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

// The page's "update" button: the new worker takes over, the page reloads.
self.addEventListener('message', (ev) => {
  if (ev.data === 'skip-waiting') self.skipWaiting();
});

self.addEventListener('fetch', (ev) => {
  const req = ev.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.pathname.startsWith('/api/')) return;
  if (req.mode === 'navigate') {
    ev.respondWith(fetch(req).catch(async () =>
      (await caches.match('/', { ignoreSearch: true })) || caches.match('/offline.html')));
    return;
  }
  if (!cacheable(url)) return;
  ev.respondWith((async () => {
    const cache = await caches.open(VERSION);
    let res;
    try {
      res = await fetch(req);
    } catch (e) {
      const hit = await cache.match(url.pathname);
      if (hit) return hit;
      throw e;
    }
    if (res.ok && res.type === 'basic') cache.put(url.pathname, res.clone()).catch(() => {});
    return res;
  })());
});
