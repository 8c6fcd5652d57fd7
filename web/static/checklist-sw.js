// The checklist's service worker: its pages and assets keep working with no network.
// The cache name carries the release and a digest of the assets, so an update never mixes versions.
const CACHE = "__CACHE__";
const LOGOUT = "__LOGOUT__";

self.addEventListener("install", () => self.skipWaiting());

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith("reqtrace-checklist-") && k !== CACHE)
      .map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

let loggedOutAt = 0;  // when this worker last saw a logout: a checklist fetched before it is not kept

// Every checklist kept here, of this release or an older one.
function forget() {
  return caches.keys().then((keys) => Promise.all(keys.filter((k) => k.startsWith("reqtrace-checklist-"))
    .map((k) => caches.delete(k))));
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.method === "POST" && url.pathname === LOGOUT) {
    // Logging out: a kept checklist shows its evaluator's sealed scores and takes ticks as theirs, so none is
    // kept past it. The request itself goes on to the server untouched; ticks waiting on the device are not
    // in these caches (they are in IndexedDB) and stay, to be sent once their evaluator logs in again.
    loggedOutAt = Date.now();
    event.waitUntil(forget());
    return;
  }
  if (request.method !== "GET") { return; }
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
  const started = Date.now();
  event.respondWith(fetch(request).then((response) => {
    if (response.ok && !response.redirected && started > loggedOutAt) {
      const copy = response.clone();
      // A logout while the copy was being stored (after forget() ran) must still leave no copy behind.
      caches.open(CACHE).then((c) => c.put(request, copy).then(() => loggedOutAt >= started && c.delete(request)));
    }
    return response;
  }).catch(() => caches.match(request).then((hit) => hit || new Response(
    "<!doctype html><title>Offline</title><p>This checklist is not kept on this device: it was not opened here " +
    "with a network, or its evaluator logged out. Connect to the network and log in to open it.</p>",
    { headers: { "Content-Type": "text/html" } }))));
});
