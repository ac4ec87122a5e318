// Offline work (issue 18, docs/working-offline.md; protocol: the sync contract of offline/).
// No framework, no inline script: the page gives the user (<meta name=reless-user>), whether
// they may work offline (<meta name=reless-offline>) and the strings (#offline-config JSON).
// Forms carrying data-offline-kind are intercepted only when offline; their entries wait in
// IndexedDB ("reless-offline"/"outbox"), keyed by user, until sent to the sync API.
(function () {
  "use strict";
  var SNAPSHOT = "/api/v1/offline/snapshot/";
  var SYNC = "/api/v1/sync/";
  var PAGES = "reless-pages";
  var DATA = "reless-data";
  var MARK = "/offline/__user";
  var INFO = "/offline/__snapshot";
  var WORKSPACE = "/offline/";
  var SLUGS = {
    "organisation.create": "organisation-create", "organisation.update": "organisation-edit",
    "registry_event.add": "registry-event", "diagnostic_entry.add": "diagnostic-entry",
    "link.propose": "link-propose", "change_request.submit": "change-proposal",
    "verification.add": "verification"
  };
  var LABELS = {
    "organisation.create": "create", "organisation.update": "edit", "registry_event.add": "event",
    "diagnostic_entry.add": "entry", "link.propose": "link", "change_request.submit": "propose",
    "verification.add": "verify"
  };
  // The shells each role may open (others answer 404).
  var SHELLS = {
    agent: ["organisation-create", "organisation-edit", "registry-event", "verification", "diagnostic-entry", "link-propose"],
    representative: ["link-propose", "change-proposal"]
  };
  var OPEN = ["waiting", "sending", "invalid"]; // not yet on the server
  var SNAPSHOT_EVERY = 5 * 60 * 1000;
  var PREPARE_EVERY = 30 * 60 * 1000;

  function meta(name) {
    var m = document.querySelector("meta[name='" + name + "']");
    return m ? m.getAttribute("content") : "";
  }
  var user = meta("reless-user");
  var enabled = meta("reless-offline") === "1";
  var config = {};
  try { config = JSON.parse(document.getElementById("offline-config").textContent); } catch (e) { /* none */ }
  var S = config.strings || {};
  var notice = "";
  var openCount = 0;
  var flash = "";
  try { flash = sessionStorage.getItem("reless-flash") || ""; sessionStorage.removeItem("reless-flash"); } catch (e) { /* none */ }

  function t(key, vars) {
    var text = S[key] || key;
    Object.keys(vars || {}).forEach(function (k) { text = text.split("{" + k + "}").join(vars[k]); });
    return text;
  }
  function plural(key, n) {
    var form = "other";
    try { form = new Intl.PluralRules(document.documentElement.lang || "en").select(n); } catch (e) { /* en */ }
    return t(key + "_" + (form === "one" ? "one" : "other"), {n: n});
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text != null) { node.textContent = text; }
    return node;
  }
  function store(key, value) { try { localStorage.setItem(key, value); } catch (e) { /* full */ } }
  function uuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
  }
  function size(bytes) {
    var lang = document.documentElement.lang || "en";
    var mb = bytes / 1048576, fr = lang.indexOf("fr") === 0;  // French: octets (Ko, Mo)
    return mb >= 0.1 ? mb.toLocaleString(lang, {maximumFractionDigits: 1}) + (fr ? " Mo" : " MB")
      : Math.max(1, Math.round(bytes / 1024)).toLocaleString(lang) + (fr ? " Ko" : " KB");
  }
  function when(iso) {
    try { return new Date(iso).toLocaleString(document.documentElement.lang || "en",
      {dateStyle: "short", timeStyle: "short"}); } catch (e) { return iso; }
  }

  // --- IndexedDB: one store, one index by user --------------------------------------------
  var opened = null;
  function db() {
    if (!opened) {
      opened = new Promise(function (resolve, reject) {
        var req = indexedDB.open("reless-offline", 1);
        req.onupgradeneeded = function () {
          req.result.createObjectStore("outbox", {keyPath: "id"}).createIndex("user", "user");
        };
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { reject(req.error); };
      });
    }
    return opened;
  }
  function tx(mode, fn) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var t = d.transaction("outbox", mode);
        var req = fn(t.objectStore("outbox"));
        t.oncomplete = function () { resolve(req ? req.result : undefined); };
        t.onerror = t.onabort = function () { reject(t.error); };
      });
    });
  }
  function items() {
    return tx("readonly", function (s) { return s.index("user").getAll(user); }).then(function (all) {
      return all.sort(function (a, b) { return a.created < b.created ? -1 : 1; });
    });
  }
  function getItem(id) { return tx("readonly", function (s) { return s.get(id); }); }
  function putItems(list) { return tx("readwrite", function (s) { list.forEach(function (i) { s.put(i); }); }); }
  function removeItem(id) { return tx("readwrite", function (s) { s.delete(id); }); }

  // --- Forms: encode as the browser would post them ---------------------------------------
  function multiple(form, name) {
    var els = form.querySelectorAll("[name='" + CSS.escape(name) + "']");
    return (els.length > 1 && els[0].type === "checkbox") || (els[0] && els[0].multiple);
  }
  function encode(form, submitter) {
    var data;
    try { data = new FormData(form, submitter || null); } catch (e) { data = new FormData(form); }
    var out = {};
    data.forEach(function (value, name) {
      if (name === "csrfmiddlewaretoken" || typeof value !== "string") { return; }
      if (Object.prototype.hasOwnProperty.call(out, name)) {
        if (!Array.isArray(out[name])) { out[name] = [out[name]]; }
        out[name].push(value);
      } else {
        out[name] = multiple(form, name) ? [value] : value;
      }
    });
    return out;
  }
  function fill(form, values) {
    Array.prototype.forEach.call(form.elements, function (input) {
      var name = input.name;
      if (!name || name === "csrfmiddlewaretoken" || /^(submit|button|file)$/.test(input.type)) { return; }
      var v = values[name];
      var list = v == null || v === false ? [] : (Array.isArray(v) ? v : [v]).map(String);
      if (input.type === "checkbox" || input.type === "radio") {
        input.checked = v === true || list.indexOf(input.value) !== -1;
      } else if (input.multiple) {
        Array.prototype.forEach.call(input.options, function (o) { o.selected = list.indexOf(o.value) !== -1; });
      } else if (Object.prototype.hasOwnProperty.call(values, name)) {
        input.value = list.length ? list[0] : "";
        if (input.tagName === "SELECT") { input.dispatchEvent(new Event("change")); }
      }
    });
  }
  function showErrors(form, errors, message) {
    form.querySelectorAll(".offline-errors").forEach(function (n) { n.remove(); });
    if (message) { form.insertBefore(el("p", {"class": "error-summary offline-errors", role: "alert"}, message), form.firstChild); }
    Object.keys(errors || {}).forEach(function (name) {
      var list = el("ul", {"class": "errorlist offline-errors"});
      [].concat(errors[name]).forEach(function (m) { list.appendChild(el("li", null, m)); });
      var input = form.querySelector("[name='" + CSS.escape(name) + "']");
      var box = input && input.closest(".field");
      if (box) { box.classList.add("invalid"); box.insertBefore(list, box.firstChild); } else { form.insertBefore(list, form.firstChild); }
    });
  }
  function number(v) { return v != null && /^\d+$/.test(String(v)) ? Number(v) : (v || null); }

  function snapshot() {
    if (!window.caches) { return Promise.resolve(null); }
    return caches.open(DATA).then(function (c) { return c.match(SNAPSHOT); }).then(function (r) {
      return r ? r.json() : null;
    }).then(function (snap) { return snap && String(snap.user) === user ? snap : null; }, function () { return null; });
  }
  function findOrganisation(snap, id) {
    var found = null;
    ((snap && snap.communes) || []).forEach(function (c) {
      (c.organisations || []).forEach(function (o) { if (String(o.id) === String(id)) { found = {org: o, commune: c}; } });
    });
    return found;
  }

  // The context of an offline form: from its data attributes (a real page) or, for a shell,
  // from the address (#<pk>, #<pcode>, #edit=<item id>, or the real URL the worker answered).
  function context(form) {
    var d = form.dataset;
    var ctx = {kind: d.offlineKind, target: number(d.offlineTarget), commune: d.offlineCommune || null,
      version: d.offlineVersion || null, label: d.offlineLabel || document.title};
    if (!form.hasAttribute("data-offline-shell")) { return Promise.resolve(ctx); }
    ctx.label = d.offlineLabel || t(LABELS[ctx.kind]);
    var title = document.querySelector("[data-offline-title]");
    if (title) { title.textContent = ctx.label; }
    var hash = decodeURIComponent(location.hash.slice(1));
    if (hash.indexOf("edit=") === 0) {
      return getItem(hash.slice(5)).then(function (item) {
        if (!item || item.user !== user) { return ctx; }
        fill(form, item.values);
        showErrors(form, item.errors, item.message);
        return {kind: item.kind, target: item.target, commune: item.commune, version: item.version,
          label: item.label, named: true, base: item.base, replace: item.id};
      });
    }
    var path = location.pathname.match(/^\/(?:organisations|diagnostics)\/(\d+)\//);
    var commune = location.pathname.match(/^\/communes\/([^/]+)\/organisations\/new\//);
    if (ctx.kind === "organisation.create") {
      ctx.commune = commune ? commune[1] : hash || ctx.commune;
      return Promise.resolve(ctx);
    }
    ctx.target = number(path ? path[1] : hash);
    if (ctx.kind === "diagnostic_entry.add") { return Promise.resolve(ctx); }
    return snapshot().then(function (snap) {
      return snap || (navigator.onLine ? refreshSnapshot(true).then(snapshot) : null);
    }).then(function (snap) {
      var found = findOrganisation(snap, ctx.target);
      if (!found) {
        form.parentNode.insertBefore(el("p", {"class": "error-summary", role: "alert"}, t("unknown")), form);
        if (/^(organisation\.update|change_request\.submit)$/.test(ctx.kind)) { form.querySelector("[type=submit]").disabled = true; }
        return ctx;
      }
      if (ctx.kind !== "link.propose") { ctx.commune = found.commune.pcode; } // the partner's
      ctx.version = found.org.version;
      ctx.label = ctx.label + " · " + found.org.name;
      form.parentNode.insertBefore(el("p", {"class": "help"}, found.org.name + " · " + found.commune.name), form);
      (found.org.hidden_fields || []).forEach(function (name) {
        form.querySelectorAll("[name='" + CSS.escape(name) + "']").forEach(function (input) {
          var box = input.closest(".field") || input;
          box.hidden = true;
          input.disabled = true;
        });
      });
      if (/^(organisation\.update|change_request\.submit)$/.test(ctx.kind)) { fill(form, found.org.form || {}); }
      return ctx;
    });
  }

  function setupForm(form) {
    var ready = null;
    var shell = form.hasAttribute("data-offline-shell");
    ready = context(form).then(function (ctx) {
      if (!ctx.base) { ctx.base = encode(form); }
      return ctx;
    });
    if (shell) { window.addEventListener("hashchange", function () { location.reload(); }); }
    form.addEventListener("submit", function (event) {
      if ((form.getAttribute("method") || "get").toLowerCase() !== "post") { return; }
      var values = encode(form, event.submitter);
      if (shell || !navigator.onLine) {
        event.preventDefault();
        ready.then(function (ctx) { queue(ctx, values); });
        return;
      }
      // Online: post it ourselves, so a network failure keeps the entry instead of losing it.
      event.preventDefault();
      var body;
      try { body = new FormData(form, event.submitter || null); } catch (e) { body = new FormData(form); }
      var buttons = form.querySelectorAll("[type=submit]");
      buttons.forEach(function (b) { b.disabled = true; });
      fetch(form.action, {method: "POST", body: body, credentials: "same-origin"}).then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("text/html") !== 0) { location.assign(response.url); return; }
        return response.text().then(function (html) {
          if (response.url && response.url !== location.href) { history.replaceState(null, "", response.url); }
          document.open();
          document.write(html);
          document.close();
        });
      }, function () {
        buttons.forEach(function (b) { b.disabled = false; });
        ready.then(function (ctx) { queue(ctx, values); });
      });
    });
  }

  function queue(ctx, values) {
    var label = ctx.label;
    if (ctx.kind === "organisation.create" && values.name && !ctx.named) { label = label + " · " + values.name; }
    var item = {id: ctx.replace || uuid(), user: user, kind: ctx.kind, target: ctx.target, commune: ctx.commune,
      version: ctx.version, base: ctx.base, values: values, label: label,
      created: new Date().toISOString(), state: "waiting", errors: {}, message: "", result: null};
    putItems([item]).then(function () {
      try { sessionStorage.setItem("reless-flash", t("saved")); } catch (e) { /* private mode */ }
      location.assign(WORKSPACE);
    });
  }

  // --- Sync --------------------------------------------------------------------------------
  function csrf() {
    var m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : meta("csrf-token");
  }
  function sendBatch() {
    return items().then(function (all) {
      var batch = all.filter(function (i) { return i.state === "waiting" || i.state === "sending"; }).slice(0, 50);
      if (!batch.length) { return false; }
      batch.forEach(function (i) { i.state = "sending"; });
      return putItems(batch).then(function () {
        render();
        return fetch(SYNC, {method: "POST", credentials: "same-origin",
          headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf()},
          body: JSON.stringify({changes: batch.map(function (i) {
            return {id: i.id, kind: i.kind, target: i.target, commune: i.commune, version: i.version,
              base: i.base, values: i.values};
          })})});
      }).then(function (response) {
        if (!response.ok) { throw new Error(response.status === 401 || response.status === 403 ? "signed_out" : "failed"); }
        return response.json();
      }).then(function (data) {
        var byId = {};
        (data.results || []).forEach(function (r) { byId[r.id] = r; });
        batch.forEach(function (i) {
          var r = byId[i.id];
          if (!r) { i.state = "waiting"; return; }
          i.state = {applied: "done", merged: "done"}[r.status] || r.status;
          i.errors = r.errors || {};
          i.message = r.message || "";
          i.result = r;
        });
        notice = "";
        return putItems(batch).then(function () { return true; });
      }, function (error) {
        notice = t(navigator.onLine && error && error.message === "signed_out" ? "signed_out" : navigator.onLine ? "failed" : "offline");
        batch.forEach(function (i) { i.state = "waiting"; });
        return putItems(batch).then(function () { return false; });
      });
    });
  }
  function sync() {
    if (!user || !navigator.onLine) { return Promise.resolve(false); }
    var run = function () {
      var sent = false;
      var next = function () {
        return sendBatch().then(function (more) { if (more) { sent = true; return next(); } return sent; });
      };
      return next();
    };
    var done = navigator.locks ? navigator.locks.request("reless-sync", run) : run();
    return done.then(function (sent) {
      return (sent ? refreshSnapshot(true) : Promise.resolve()).then(function () { render(); return sent; });
    });
  }

  // --- What the phone keeps: the snapshot and the pages ------------------------------------
  // The requests that keep the copy run in the service worker: a page left at once does not
  // cut them short. The worker answers through a message channel.
  function worker(message) {
    return navigator.serviceWorker.ready.then(function (registration) {
      return new Promise(function (resolve) {
        var channel = new MessageChannel();
        var timer = setTimeout(function () { resolve(false); }, 60000);
        channel.port1.onmessage = function (event) { clearTimeout(timer); resolve(event.data); };
        registration.active.postMessage(message, [channel.port2]);
      });
    });
  }
  function snapshotInfo() {
    if (!window.caches) { return Promise.resolve({}); }
    return caches.open(DATA).then(function (c) { return c.match(INFO); }).then(function (r) {
      return r ? r.json() : {};
    }).catch(function () { return {}; });
  }
  function refreshSnapshot(force) {
    if (!enabled || !navigator.onLine || !window.caches || !("serviceWorker" in navigator)) { return Promise.resolve(true); }
    return snapshotInfo().then(function (info) {
      if (!force && info.checked && Date.now() - info.checked < SNAPSHOT_EVERY) { return true; }
      return worker({type: "snapshot", url: SNAPSHOT, max: config.maxBytes || 20971520}).then(Boolean);
    });
  }
  function prepare() {
    var key = "reless-prepared:" + user;
    if (!enabled || !navigator.onLine || !window.caches || !("serviceWorker" in navigator)) { return Promise.resolve(true); }
    if (Date.now() - (Number(localStorage.getItem(key)) || 0) < PREPARE_EVERY) { return Promise.resolve(true); }
    var urls = [WORKSPACE].concat((SHELLS[config.role] || []).map(function (slug) { return "/offline/forms/" + slug + "/"; }));
    return worker({type: "prepare", user: user, urls: urls}).then(function (complete) {
      if (complete) { store(key, String(Date.now())); }
      return complete;
    });
  }
  // Another user on this device: the pages and data kept for the previous one go (their
  // unsent changes stay in IndexedDB, shown and sent only to them).
  function checkUser() {
    var last = localStorage.getItem("reless-last-user");
    if (last === user || !window.caches) { return Promise.resolve(); }
    store("reless-last-user", user);
    Object.keys(localStorage).forEach(function (k) {
      if (/^reless-prepared:/.test(k)) { localStorage.removeItem(k); }
    });
    return Promise.all([caches.delete(PAGES), caches.delete(DATA)]);
  }

  // --- Showing it: badge, outbox, data ------------------------------------------------------
  function render() {
    if (!user) { return Promise.resolve(); }
    return items().then(function (all) {
      openCount = all.filter(function (i) { return OPEN.indexOf(i.state) !== -1; }).length;
      var badge = document.getElementById("outbox-badge");
      if (badge) {
        badge.hidden = openCount === 0;
        badge.textContent = "";
        badge.appendChild(el("span", {"class": "outbox-count", "aria-hidden": "true"}, String(openCount)));
        badge.appendChild(el("span", {"class": "outbox-text"}, plural("badge", openCount)));
      }
      var box = document.getElementById("outbox");
      if (box) { renderOutbox(box, all); }
    });
  }
  function renderOutbox(box, all) {
    var root = box.querySelector(".outbox-js");
    if (!root) { root = box.appendChild(el("div", {"class": "outbox-js"})); }
    box.querySelectorAll(".outbox-empty").forEach(function (n) { n.hidden = true; });
    root.textContent = "";
    var status = [flash, notice, navigator.onLine ? "" : t("offline")].filter(Boolean).join(" ");
    root.appendChild(el("p", {"class": "outbox-status", role: "status"}, status));
    root.appendChild(el("p", {"class": "outbox-summary"}, openCount ? plural("badge", openCount) : t("empty")));
    var send = root.appendChild(el("p")).appendChild(el("button", {type: "button", id: "outbox-send"}, t("send")));
    send.disabled = !navigator.onLine || !openCount;
    send.addEventListener("click", function () { send.disabled = true; sync(); });
    var list = root.appendChild(el("ul", {"class": "outbox-items"}));
    all.forEach(function (item) {
      var li = list.appendChild(el("li", {"class": "outbox-item state-" + item.state, "data-id": item.id, "data-state": item.state}));
      li.appendChild(el("b", null, item.label));
      li.appendChild(document.createTextNode(" · "));
      li.appendChild(el("span", {"class": "outbox-state"}, t(item.state)));
      li.appendChild(document.createTextNode(" · "));
      li.appendChild(el("time", {datetime: item.created}, when(item.created)));
      if (item.message) { li.appendChild(el("p", {"class": "outbox-message"}, item.message)); }
      var names = Object.keys(item.errors || {});
      if (names.length) {
        var errs = li.appendChild(el("ul", {"class": "errorlist"}));
        names.forEach(function (n) { [].concat(item.errors[n]).forEach(function (m) { errs.appendChild(el("li", null, (n === "__all__" ? "" : n + ": ") + m)); }); });
      }
      var actions = li.appendChild(el("p", {"class": "row-actions"}));
      var r = item.result || {};
      if (r.object && r.object.url) { actions.appendChild(el("a", {href: r.object.url}, t("view"))); }
      if (r.conflict_url) { actions.appendChild(el("a", {href: r.conflict_url, "class": "conflict-link"}, t("resolve"))); }
      if (item.state === "invalid") {
        actions.appendChild(el("a", {href: "/offline/forms/" + SLUGS[item.kind] + "/#edit=" + item.id, "class": "correct-link"}, t("correct")));
      }
      if (item.state !== "sending") {
        var remove = actions.appendChild(el("button", {type: "button", "class": "link"}, t("remove")));
        remove.addEventListener("click", function () {
          if (item.state === "done" || window.confirm(t("remove_confirm"))) { removeItem(item.id).then(render); }
        });
      }
    });
  }
  function renderData(box) {
    return Promise.all([snapshot(), snapshotInfo()]).then(function (both) {
      var snap = both[0];
      var info = both[1];
      var root = box.querySelector(".offline-data-js");
      if (!root) { root = box.appendChild(el("div", {"class": "offline-data-js"})); }
      root.textContent = "";
      var line = info.tooBig ? t("too_big", {size: size(info.size), max: size(info.max)})
        : snap && info.size ? t("kept", {size: size(info.size), time: when(info.at)}) : t("no_data");
      var sizeLine = box.querySelector(".offline-size") || root.appendChild(el("p", {"class": "offline-size"}));
      sizeLine.textContent = line;
      if (location.pathname !== WORKSPACE) { root.insertBefore(el("p", {"class": "error-summary"}, t("not_kept")), root.firstChild); }
      if (!snap) { return; }
      var agent = config.role === "agent";
      (snap.communes || []).forEach(function (c) {
        var section = root.appendChild(el("section", {"class": "offline-commune"}));
        section.appendChild(el("h2", null, c.name));
        var tasks = section.appendChild(el("p", {"class": "actions"}));
        if (agent) { tasks.appendChild(el("a", {href: "/offline/forms/organisation-create/#" + c.pcode}, t("create"))); }
        if (agent && c.diagnostic) {
          tasks.appendChild(document.createTextNode(" "));
          tasks.appendChild(el("a", {href: "/offline/forms/diagnostic-entry/#" + c.diagnostic.id}, t("entry") + " (" + t("diagnostic", {year: c.diagnostic.year}) + ")"));
        }
        var list = section.appendChild(el("ul", {"class": "offline-organisations"}));
        (c.organisations || []).forEach(function (o) {
          var li = list.appendChild(el("li", {"data-id": o.id}));
          li.appendChild(el("b", null, o.name + (o.acronym ? " (" + o.acronym + ")" : "")));
          li.appendChild(document.createTextNode(" · " + [o.status_label, o.legal_form_label, o.locality].filter(Boolean).join(" · ")));
          var links = li.appendChild(el("span", {"class": "row-actions"}));
          var own = agent ? [["organisation-edit", "edit"], ["registry-event", "event"], ["verification", "verify"], ["link-propose", "link"]]
            : [["change-proposal", "propose"], ["link-propose", "link"]];
          own.forEach(function (p) {
            links.appendChild(document.createTextNode(" "));
            links.appendChild(el("a", {href: "/offline/forms/" + p[0] + "/#" + o.id}, t(p[1])));
          });
        });
      });
    });
  }
  function renderWorkspace() {
    var data = document.getElementById("offline-data");
    return Promise.all([render(), data ? renderData(data) : null]);
  }

  // Online: the shells, the outbox sent, the snapshot; what failed is tried again shortly.
  // Only from the offline pages (the app opens on /offline/): elsewhere a page opened and left
  // at once would cut these requests short.
  function keepUp(tries) {
    if (!navigator.onLine) { return; }
    if (location.pathname.indexOf(WORKSPACE) !== 0) { sync(); return; }
    prepare().then(function (prepared) {
      return sync().then(function (sent) { return sent || refreshSnapshot(false); }).then(function (fresh) {
        renderWorkspace();
        if ((!prepared || !fresh) && tries > 0) { setTimeout(function () { keepUp(tries - 1); }, 4000); }
      });
    });
  }

  function start() {
    checkUser().then(function () {
      if (!user) { return; }
      if (enabled && "serviceWorker" in navigator) {
        navigator.serviceWorker.register("/sw.js", {scope: "/"}).then(function () {
          return navigator.serviceWorker.ready;
        }).then(function (registration) {
          if (!navigator.serviceWorker.controller && registration.active) { registration.active.postMessage("claim"); }
        }).catch(function () { /* no worker: online only */ });
        if (navigator.storage && navigator.storage.persist) { navigator.storage.persist().catch(function () {}); }
      }
      document.querySelectorAll("form[data-outbox-logout]").forEach(function (form) {
        form.addEventListener("submit", function (event) {
          event.preventDefault();
          if (openCount && !window.confirm(plural("logout", openCount))) { return; }
          // Signed out: the pages and data kept on the device go (the outbox stays, for
          // this user only); pages without a user load no offline script.
          store("reless-last-user", "");
          var cleared = window.caches ? Promise.all([caches.delete(PAGES), caches.delete(DATA)])
            : Promise.resolve();
          cleared.catch(function () {}).then(function () { form.submit(); });
        });
      });
      document.querySelectorAll("form[data-offline-kind]").forEach(setupForm);
      window.addEventListener("online", function () { sync().then(renderWorkspace); });
      window.addEventListener("offline", renderWorkspace);
      return renderWorkspace().then(function () { keepUp(3); });
    }).catch(function (e) { if (window.console) { console.error(e); } });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());
