// The service worker (served at /sw.js by offline/views_pwa.py, which prefixes VERSION and
// ASSETS). Keeps the static files; pages are network first, answered from the cache when the
// network fails; an offline form page never visited is answered with its shell
// (/offline/forms/<slug>/), the URL staying, so offline.js reads the record from the path.
/* global VERSION, ASSETS */
var STATIC = "reless-static-" + VERSION;
var PAGES = "reless-pages"; // the signed-in user's pages: emptied by offline.js for another user
var MARK = "/offline/__user"; // in PAGES while an offline user is signed in on this device
var MAX_PAGES = 150;
var SHELLS = [
  [/^\/organisations\/\d+\/edit\/$/, "organisation-edit"],
  [/^\/organisations\/\d+\/events\/new\/$/, "registry-event"],
  [/^\/organisations\/\d+\/verify\/$/, "verification"],
  [/^\/organisations\/\d+\/links\/new\/$/, "link-propose"],
  [/^\/organisations\/\d+\/propose\/$/, "change-proposal"],
  [/^\/communes\/[^/]+\/organisations\/new\/$/, "organisation-create"]
];
var SKIP = /^\/(accounts|admin|api|i18n|sw\.js|manifest\.webmanifest)/;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(STATIC).then(function (cache) {
    return cache.addAll(ASSETS);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("reless-static-") === 0 && name !== STATIC;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

var DATA = "reless-data";
var INFO = "/offline/__snapshot"; // in DATA: the snapshot's size, date, and whether it fitted

// The page asks: to be claimed (it loaded while this worker activated), or to keep the user's
// snapshot or pages; the answer goes back through the message's port.
self.addEventListener("message", function (event) {
  var data = event.data || {};
  var port = event.ports && event.ports[0];
  var job = data === "claim" ? self.clients.claim() : data.type === "snapshot" ? keepSnapshot(data)
    : data.type === "prepare" ? keepPages(data) : null;
  if (job) {
    event.waitUntil(job.then(function (answer) { if (port) { port.postMessage(answer); } },
      function () { if (port) { port.postMessage(false); } }));
  }
});

function keepSnapshot(d) {
  return fetch(d.url, {credentials: "same-origin", headers: {Accept: "application/json"}}).then(function (r) {
    if (!r.ok) { throw new Error(r.status); }
    return r.blob();
  }).then(function (blob) {
    var info = {checked: Date.now(), at: new Date().toISOString(), size: blob.size, tooBig: blob.size > d.max, max: d.max};
    return caches.open(DATA).then(function (cache) {
      return (info.tooBig ? cache.delete(d.url)
        : cache.put(d.url, new Response(blob, {headers: {"Content-Type": "application/json"}}))).then(function () {
        return cache.put(INFO, new Response(JSON.stringify(info), {headers: {"Content-Type": "application/json"}}));
      });
    }).then(function () { return info; });
  });
}

// One page after the other: a phone on a weak network, a server not flooded.
function keepPages(d) {
  var complete = true;
  return caches.open(PAGES).then(function (cache) {
    return cache.put(MARK, new Response(d.user)).then(function () {
      return d.urls.reduce(function (done, url) {
        return done.then(function () {
          return fetch(url, {credentials: "same-origin"}).then(function (r) {
            if (r.ok && !r.redirected) { return cache.put(url, r); }
            if (r.status >= 500) { complete = false; } // 403/404: a form not for this role
          }, function () { complete = false; });
        });
      }, Promise.resolve());
    });
  }).then(function () { return complete; });
}

function shellFor(path) {
  for (var i = 0; i < SHELLS.length; i++) {
    if (SHELLS[i][0].test(path)) { return "/offline/forms/" + SHELLS[i][1] + "/"; }
  }
  return null;
}

function keep(request, response) {
  // Only for a signed-in offline user, only pages the server lets keep, never a redirect.
  if (!response.ok || response.redirected || response.type !== "basic" ||
      /no-store/.test(response.headers.get("Cache-Control") || "")) { return; }
  var copy = response.clone();
  caches.open(PAGES).then(function (cache) {
    return cache.match(MARK).then(function (mark) {
      if (!mark) { return; }
      return cache.put(request.url.split("#")[0], copy).then(function () {
        return cache.keys();
      }).then(function (keys) {
        var old = keys.filter(function (k) { return k.url.indexOf(MARK) === -1; });
        return Promise.all(old.slice(0, Math.max(0, old.length - MAX_PAGES)).map(function (k) {
          return cache.delete(k);
        }));
      });
    });
  });
}

function offlinePage(request) {
  var url = new URL(request.url);
  return caches.open(PAGES).then(function (cache) {
    return cache.match(request, {ignoreSearch: false}).then(function (hit) {
      if (hit) { return hit; }
      var shell = shellFor(url.pathname);
      return (shell ? cache.match(shell) : Promise.resolve(null)).then(function (found) {
        return found || cache.match(url.pathname, {ignoreSearch: true});
      }).then(function (found) {
        return found || cache.match("/offline/").then(function (workspace) {
          if (workspace) { return workspace; }
          return new Response("<!DOCTYPE html><title>RELESS</title><p>Offline / Hors ligne</p>",
            {status: 503, headers: {"Content-Type": "text/html; charset=utf-8"}});
        });
      });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate") {
    if (SKIP.test(url.pathname)) { return; }
    event.respondWith(fetch(request).then(function (response) {
      keep(request, response);
      return response;
    }, function () { return offlinePage(request); }));
  } else if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.match(request).then(function (hit) {
      return hit || fetch(request).then(function (response) {
        if (response.ok) {
          var copy = response.clone();
          caches.open(STATIC).then(function (cache) { cache.put(request, copy); });
        }
        return response;
      });
    }));
  }
});
