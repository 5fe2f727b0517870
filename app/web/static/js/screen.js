// The counter screen: a new QR each window, "thank you" when a ballot comes through it. A lobby
// display set up for a counter uses the first part only (it has no "thank you" nor its stream).
// Written for a cheap TV browser: plain XHR and EventSource, no framework.
//
// A screen with a secret of its own (data-keyed) draws each window's QR itself, from its clock
// and its secret (device-keys.js), so it keeps working when the office's network is down; while
// online it tells the server what its clock reads, so its codes are checked against its own
// time. Any other screen asks the server for each QR; every failure (server restart, network
// blip) is retried, later each time and with jitter, while the QR on screen stays valid for
// one more window.
(function () {
  "use strict";
  var frame = document.querySelector("[data-screen]");
  if (!frame) { return; }
  var panel = document.getElementById("panel");
  var thanks = document.getElementById("thanks");
  var offline = document.getElementById("offline");
  var seconds = parseInt(frame.dataset.seconds, 10) || 30;
  var wait = 2000, source = null, hide = null, down = null;
  var keys = window.hailongKeys;
  var secret = frame.dataset.keyed && keys && window.qrcode ? keys.secret() : null;

  // -- drawn here ------------------------------------------------------------------------------

  function varint(n, out) {
    do {
      var byte = n % 128;
      n = Math.floor(n / 128);
      out.push(n > 0 ? byte | 128 : byte);
    } while (n > 0);
  }

  // The bytes of app/sources/tokens.py's kind 4: office, counter, device, window, then the
  // window's RFC 6238 code as a 4-byte number.
  function token(win) {
    var office = keys.utf8(frame.dataset.office), out = [4, office.length];
    for (var i = 0; i < office.length; i++) { out.push(office[i]); }
    varint(parseInt(frame.dataset.counter, 10), out);
    varint(parseInt(frame.dataset.device, 10), out);
    varint(win, out);
    var code = keys.hotp(secret, win);
    out.push(code >>> 24, (code >>> 16) & 255, (code >>> 8) & 255, code & 255);
    return keys.toB64url(new Uint8Array(out));
  }

  // The same picture as the server's (app/offices/qr.py): level M, a quiet zone of 4 modules,
  // one path of horizontal runs.
  function svg(url) {
    var qr = window.qrcode(0, "M");
    qr.addData(url, "Byte");
    qr.make();
    var n = qr.getModuleCount(), size = n + 8, d = "";
    for (var y = 0; y < n; y++) {
      for (var x = 0; x < n;) {
        if (!qr.isDark(y, x)) { x++; continue; }
        var start = x;
        while (x < n && qr.isDark(y, x)) { x++; }
        d += "M" + (start + 4) + "," + (y + 4) + "h" + (x - start) + "v1h" + (start - x) + "z";
      }
    }
    return '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ' + size + " " + size +
      '" shape-rendering="crispEdges" role="img" aria-label="QR"><rect width="' + size +
      '" height="' + size + '" fill="#fff"/><path fill="#000" d="' + d + '"/></svg>';
  }

  function draw() {
    var now = Date.now(), win = Math.floor(now / 1000 / seconds);
    var box = panel.querySelector(".screen-qr");
    if (box && box.dataset.window !== String(win)) {
      box.innerHTML = svg(frame.dataset.publicUrl + "/r/" + token(win));
      box.dataset.window = String(win);
    }
    setTimeout(draw, (win + 1) * seconds * 1000 - now + 50);
  }

  function tellClock() {
    var xhr = new XMLHttpRequest();
    xhr.open("POST", frame.dataset.clock);
    xhr.timeout = 10000;
    xhr.setRequestHeader("Content-Type", "application/x-www-form-urlencoded");
    xhr.onload = function () { if (xhr.status === 404) { location.reload(); } };
    xhr.send("t=" + Date.now());
  }

  // -- asked of the server -----------------------------------------------------------------------

  function schedule(ms) { setTimeout(refresh, Math.max(ms, 500)); }

  function refresh() {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", frame.dataset.panel);
    xhr.timeout = 10000;
    xhr.setRequestHeader("HX-Request", "true");
    xhr.onload = function () {
      if (xhr.status === 200) {
        panel.innerHTML = xhr.responseText;
        wait = 2000;
        schedule(parseInt(xhr.getResponseHeader("X-Next-In") || "0", 10) + 300);
      } else if (xhr.status === 404) {
        location.reload();  // the device was revoked: show the server's page about it
      } else { retry(); }
    };
    xhr.onerror = xhr.ontimeout = retry;
    xhr.send();
  }

  function retry() {
    schedule(Math.min(wait / 2 + Math.random() * wait, seconds * 1000));
    wait = Math.min(wait * 2, 60000);
  }

  // -- the thank-you, and whether the screen is connected ------------------------------------

  function showThanks() {
    thanks.hidden = false;
    frame.classList.add("thanked");
    clearTimeout(hide);
    hide = setTimeout(function () { thanks.hidden = true; frame.classList.remove("thanked"); }, 8000);
  }

  function connected(yes) {
    clearTimeout(down);
    if (yes) { offline.hidden = true; return; }
    // A stream renewed now and then reconnects within a second: no mark for that.
    down = setTimeout(function () { offline.hidden = false; }, 5000);
  }

  // The server says something at least every 20 s; after 45 s of silence the connection is
  // taken for dead (a router that rebooted leaves it open and mute) and made anew.
  var heard = 0, SILENCE = 45000;
  function hear() { heard = Date.now(); }
  setInterval(function () {
    if (source && source.readyState === EventSource.OPEN && Date.now() - heard > SILENCE) {
      source.close();
      delete frame.dataset.live;
      connected(false);
      connect();
    }
  }, 5000);

  var streamWait = 2000;
  function connect() {
    hear();
    source = new EventSource(frame.dataset.events);
    source.addEventListener("ballot", function () { hear(); showThanks(); });
    source.addEventListener("alive", hear);
    // data-live says the screen will hear of the next ballot (tests wait for it after a restart).
    source.addEventListener("open", function () {
      hear(); streamWait = 2000; frame.dataset.live = "1"; connected(true);
      if (secret) { tellClock(); }
    });
    source.addEventListener("error", function () {
      delete frame.dataset.live;
      connected(false);
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        setTimeout(connect, streamWait / 2 + Math.random() * streamWait);
        streamWait = Math.min(streamWait * 2, 60000);
      }
    });
  }

  if (secret) {
    draw();
    setInterval(function () { if (frame.dataset.live) { tellClock(); } }, 60000);
  } else {
    schedule(parseInt(frame.dataset.nextIn, 10) + 300);
  }
  if (frame.dataset.events && thanks) { connect(); }
})();
