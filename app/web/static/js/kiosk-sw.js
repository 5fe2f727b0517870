// The kiosk's service worker (static/js/kiosk.js registers it for /device/): the kiosk's form
// opens from the network when it can, from what was kept when it cannot; the site's files are
// kept and served from the cache (their addresses change with their content).
"use strict";
var CACHE = "hailong-kiosk-v1";
var PATIENCE = 5000;  // a router rebooting leaves requests hanging: the kept form sooner

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

function patiently(request) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error("timeout")); }, PATIENCE);
    fetch(request).then(function (r) { clearTimeout(timer); resolve(r); }, function (e) { clearTimeout(timer); reject(e); });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate" && url.pathname.indexOf("/device/") === 0) {
    event.respondWith(patiently(request).then(function (response) {
      if (response.ok && !url.search) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(url.pathname, copy); });
      }
      return response;
    }).catch(function () {
      return caches.match(url.pathname).then(function (kept) { return kept || Response.error(); });
    }));
  } else if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.match(request).then(function (kept) { return kept || fetch(request); }));
  }
});
