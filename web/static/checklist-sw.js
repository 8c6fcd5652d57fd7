// The checklist's service worker: its pages and assets keep working with no network.
// The cache name carries the release and a digest of the assets, so an update never mixes versions.
const CACHE = "__CACHE__";

self.addEventListener("install", () => self.skipWaiting());

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith("reqtrace-checklist-") && k !== CACHE)
      .map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") { return; }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  const checklist = /\/sessions\/\d+\/checklist(\.json)?$/.test(url.pathname);
  const asset = url.pathname.startsWith("/static/");
  if (!checklist && !asset) { return; }
  if (asset) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request).then((response) => {
      if (response.ok) { const copy = response.clone(); caches.open(CACHE).then((c) => c.put(request, copy)); }
      return response;
    })));
    return;
  }
  // The checklist: the network first (fresh scores), the cached copy when there is none.
  event.respondWith(fetch(request).then((response) => {
    if (response.ok && !response.redirected) {
      const copy = response.clone();
      caches.open(CACHE).then((c) => c.put(request, copy));
    }
    return response;
  }).catch(() => caches.match(request).then((hit) => hit || new Response(
    "<!doctype html><title>Offline</title><p>This checklist has not been opened on this device with a network yet.</p>",
    { headers: { "Content-Type": "text/html" } }))));
});
