// Spreekuur's service worker: it makes the messenger installable and keeps the stylesheet,
// script and icons at hand. It caches nothing else: pages, messages and files always come
// from the server, never from this cache, so no patient data is kept on the device by it.
const CACHE = 'spreekuur-static-v1';
const STATIC = ['/static/app.css', '/static/app.js', '/static/icon-192.png', '/static/icon-512.png'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(STATIC)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  // Only this site's static files; everything else goes to the network as if we were not here.
  if (event.request.method !== 'GET' || url.origin !== self.location.origin || !STATIC.includes(url.pathname)) return;
  // The network first (a new version after an update), the cache when offline.
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(event.request, copy));
        }
        return response;
      })
      .catch(() => caches.match(event.request)),
  );
});
