// The POS's service worker: keeps the POS page and its files so /pos opens with no network.
//
// The page is fetched from the network when there is one (fresh CSRF token, fresh counters) and
// from the cache when there is not; static files come from the cache and are refreshed behind.
// API calls are never cached here: the page keeps its own copy of the batches in IndexedDB.
const CACHE = "greenmarket-pos-v3";
const SHELL = ["/pos", "/static/css/app.css", "/static/css/pos.css", "/static/js/pos.js", "/static/js/pos-store.js", "/static/js/pos-scale.js",
               "/static/js/promptpay.js", "/static/js/qr.js", "/static/icon.svg", "/manifest.webmanifest"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))))
    .then(() => self.clients.claim()));
});

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) cache.put("/pos", response.clone());
    return response;
  } catch {
    return (await cache.match("/pos")) || Response.error();
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request);
  const fresh = fetch(request).then((response) => {
    if (response.ok) cache.put(request, response.clone());
    return response;
  }).catch(() => null);
  return cached || (await fresh) || Response.error();
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname === "/pos") {
    event.respondWith(networkFirst(event.request));
  } else if (SHELL.includes(url.pathname)) {
    event.respondWith(cacheFirst(event.request));
  }
});
