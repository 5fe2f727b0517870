// The kiosk keeps working when the office's network does not. A rating whose sending fails (or
// that is taken while the browser knows it is offline) is kept on the kiosk, in IndexedDB, with
// its idempotency key, the time it was cast and the survey version, signed with the kiosk's own
// secret (device-keys.js); the citizen is thanked as usual. When the network is back the queue
// is sent to the API oldest first, each under its own key, so a rating is never stored twice
// however often it is sent. What the server refuses stays listed for the staff, with its
// reason, and is not sent again. A service worker (kiosk-sw.js) keeps the form and its files,
// so the kiosk opens again after a power cut with no network.
(function () {
  "use strict";
  var LABEL = "hailong kiosk ballot v1";
  var RESET_SECONDS = 8;
  var keys = window.hailongKeys;
  var secret = keys ? keys.secret() : null;
  var token = location.pathname.split("/")[2] || "";
  var first = document.querySelector("form#survey[data-kiosk-office]");
  if (!first || !secret) { return; }
  var office = first.dataset.kioskOffice;
  var api = "/api/v1/offices/" + encodeURIComponent(office) + "/responses";
  var panel = document.querySelector("[data-kiosk-queue]");
  var syncing = false, backoff = 5000, later = null;

  function newKey() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function form() { return document.querySelector("form#survey[data-kiosk-office]"); }

  // A fresh key for every rating: a form kept by the service worker is opened again and again.
  function freshKey() { var f = form(); if (f && f.elements.idem) { f.elements.idem.value = newKey(); } }
  freshKey();
  document.addEventListener("htmx:afterSwap", freshKey);

  // -- the queue, in IndexedDB ---------------------------------------------------------------

  var opened = null;
  function database() {
    if (!opened) {
      opened = new Promise(function (resolve, reject) {
        var request = indexedDB.open("hailong-kiosk:" + token, 1);
        request.onupgradeneeded = function () { request.result.createObjectStore("queue", { keyPath: "idem" }); };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return opened;
  }

  // One transaction; resolves once it is on disk ("strict": a power cut right after the
  // thank-you loses nothing).
  function store(mode, work) {
    return database().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction("queue", mode, { durability: "strict" });
        var request = work(tx.objectStore("queue"));
        tx.oncomplete = function () { resolve(request ? request.result : undefined); };
        tx.onerror = tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  function entries() { return store("readonly", function (s) { return s.getAll(); }); }
  function put(entry) { return store("readwrite", function (s) { return s.put(entry); }); }
  function forget(idem) { return store("readwrite", function (s) { return s.delete(idem); }); }

  // -- taking a rating offline ----------------------------------------------------------------

  function entryOf(f) {
    var data = new FormData(f), answers = {}, missing = [];
    data.forEach(function (value, name) {
      if (name.indexOf("q.") === 0) { answers[name.slice(2)] = parseInt(value, 10); }
    });
    f.querySelectorAll("fieldset[data-required]").forEach(function (set) {
      var answered = set.id.slice(2) in answers;
      set.classList.toggle("invalid", !answered);
      if (!answered) { missing.push(set); }
    });
    if (missing.length) { return { missing: missing }; }
    var idem = data.get("idem") || newKey();
    var comment = data.get("comment") || null;
    var survey = data.get("survey");
    var version = parseInt(f.dataset.surveyVersion, 10);
    var cast = Date.now();
    var pairs = Object.keys(answers).sort().map(function (k) { return [k, answers[k]]; });
    var message = JSON.stringify([LABEL, idem, cast, survey, version, pairs, comment || ""]);
    return {
      idem: idem,
      cast_ms: cast,
      body: {
        answers: answers, comment: comment, survey: survey, survey_version: version,
        cast_at_ms: cast, signature: keys.toB64url(keys.hmac(secret, keys.utf8(message)))
      }
    };
  }

  function askForMissing(f, missing) {
    var note = f.querySelector("[data-kiosk-missing]");
    if (!note) {
      note = document.createElement("p");
      note.className = "error-summary";
      note.setAttribute("role", "alert");
      note.dataset.kioskMissing = "";
      note.textContent = f.dataset.missing;
      f.insertBefore(note, f.querySelector("fieldset"));
    }
    missing[0].scrollIntoView({ block: "center" });
  }

  function queue(f) {
    var entry = entryOf(f);
    if (entry.missing) { askForMissing(f, entry.missing); return; }
    put(entry).then(function () { thank(f); show(); }, function () {
      f.querySelector("[data-send-failed]").hidden = false;  // nowhere to keep it: say so
    });
  }

  var reset = null;
  function thank(f) {
    var template = document.querySelector("template[data-offline-thanks]");
    var section = template.content.firstElementChild.cloneNode(true);
    f.hidden = true;
    f.parentNode.insertBefore(section, f.nextSibling);
    section.querySelector("h1").focus();
    section.querySelector("[data-kiosk-next]").addEventListener("click", function () { next(f, section); });
    reset = setTimeout(function () { next(f, section); }, RESET_SECONDS * 1000);
  }

  function next(f, section) {
    clearTimeout(reset);
    if (section.parentNode) { section.parentNode.removeChild(section); }
    f.reset();
    f.querySelectorAll(".invalid").forEach(function (el) { el.classList.remove("invalid"); });
    var note = f.querySelector("[data-kiosk-missing]");
    if (note) { note.parentNode.removeChild(note); }
    var failed = f.querySelector("[data-send-failed]");
    if (failed) { failed.hidden = true; }
    freshKey();
    f.hidden = false;
    window.scrollTo(0, 0);
  }

  // Known to be offline: straight to the queue, no request that would only fail.
  document.addEventListener("submit", function (event) {
    var f = form();
    if (event.target !== f || navigator.onLine) { return; }
    event.preventDefault();
    event.stopPropagation();
    queue(f);
  }, true);

  // -- sending the queue -----------------------------------------------------------------------

  function send(entry) {
    return fetch(api, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Authorization": "Bearer " + token,
        "Idempotency-Key": entry.idem
      },
      body: JSON.stringify(entry.body)
    }).then(function (response) {
      if (response.status === 200 || response.status === 201) { return forget(entry.idem); }
      var final = response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429;
      if (!final) { throw new Error("later"); }
      return response.json().catch(function () { return {}; }).then(function (body) {
        entry.refused = { reason: body.detail_vi || body.detail || String(response.status), at: Date.now() };
        return put(entry);
      });
    });
  }

  // Not while the browser knows it is offline: such a request can only fail, and the "online"
  // event sends the queue when the line is back. (Under Chromium's emulated offline, a kiosk
  // opened again offline got its first post through to the server now and then, and lost the
  // answer: one restart in about thirty, measured.)
  function sync() {
    if (syncing || !navigator.onLine) { return Promise.resolve(); }
    syncing = true;
    clearTimeout(later);
    return entries().then(function (all) {
      var waiting = all.filter(function (e) { return !e.refused; });
      waiting.sort(function (a, b) { return a.cast_ms - b.cast_ms || (a.idem < b.idem ? -1 : 1); });
      return waiting.reduce(function (chain, entry) {
        return chain.then(function () { return send(entry); }).then(show);
      }, Promise.resolve());
    }).then(function () {
      backoff = 5000;
    }, function () {
      later = setTimeout(sync, backoff / 2 + Math.random() * backoff);
      backoff = Math.min(backoff * 2, 300000);
    }).then(function () { syncing = false; show(); });
  }

  // -- what the staff see ----------------------------------------------------------------------

  function when(ms) {
    var d = new Date(ms);
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return two(d.getHours()) + ":" + two(d.getMinutes()) + " " + two(d.getDate()) + "/" +
      two(d.getMonth() + 1) + "/" + d.getFullYear();
  }

  function show() {
    return entries().then(function (all) {
      var refused = all.filter(function (e) { return e.refused; });
      var waiting = all.length - refused.length;
      panel.querySelector("[data-waiting]").textContent = waiting ? waiting + " phiếu chờ gửi" : "";
      var box = panel.querySelector("[data-refused]");
      box.hidden = !refused.length;
      box.querySelector("summary").textContent = refused.length + " phiếu bị từ chối";
      var list = box.querySelector("ul");
      list.textContent = "";
      refused.forEach(function (e) {
        var item = document.createElement("li");
        item.textContent = "Đánh giá lúc " + when(e.cast_ms) + ": " + e.refused.reason;
        list.appendChild(item);
      });
      panel.hidden = !all.length;
      panel.dataset.queued = String(waiting);
      panel.dataset.rejected = String(refused.length);
    });
  }

  panel.querySelector("[data-forget]").addEventListener("click", function () {
    entries().then(function (all) {
      return Promise.all(all.filter(function (e) { return e.refused; }).map(function (e) { return forget(e.idem); }));
    }).then(show);
  });

  window.addEventListener("online", sync);
  setInterval(sync, 30000);
  show().then(sync);

  // The form and its files kept by a service worker, for opening again with no network (only
  // on HTTPS or localhost: browsers keep service workers from plain-HTTP pages).
  if ("serviceWorker" in navigator && window.caches) {
    navigator.serviceWorker.register("/device/sw.js", { scope: "/device/" }).then(function () {
      var files = [location.pathname];
      document.querySelectorAll("script[src], link[rel=stylesheet]").forEach(function (el) {
        files.push(el.getAttribute("src") || el.getAttribute("href"));
      });
      return caches.open("hailong-kiosk-v1").then(function (cache) { return cache.addAll(files); });
    }).then(function () { document.documentElement.dataset.kioskCached = "1"; }, function () {});
  }

  // For the staff's tools (and the tests): what waits, and sending again on demand.
  window.hailongKiosk = {
    entries: entries,
    sync: sync,
    queue: function () { var f = form(); if (f) { queue(f); } },
    requeue: function (list) {
      return list.reduce(function (chain, e) {
        return chain.then(function () { delete e.refused; return put(e); });
      }, Promise.resolve()).then(show);
    }
  };
})();
