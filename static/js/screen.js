// The counter screen: a new QR each window, "thank you" when a ballot comes through it. A lobby
// display set up for a counter uses the first part only (it has no "thank you" nor its stream).
// Written for a cheap TV browser: plain XHR and EventSource, no framework. Every failure
// (server restart, network blip) is retried, later each time and with jitter, while the QR on
// screen stays valid for one more window.
(function () {
  "use strict";
  var frame = document.querySelector("[data-screen]");
  if (!frame) { return; }
  var panel = document.getElementById("panel");
  var thanks = document.getElementById("thanks");
  var seconds = parseInt(frame.dataset.seconds, 10) || 30;
  var wait = 2000, source = null, hide = null;

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

  function showThanks() {
    thanks.hidden = false;
    frame.classList.add("thanked");
    clearTimeout(hide);
    hide = setTimeout(function () { thanks.hidden = true; frame.classList.remove("thanked"); }, 8000);
  }

  var streamWait = 2000;
  function connect() {
    source = new EventSource(frame.dataset.events);
    source.addEventListener("ballot", showThanks);
    // data-live says the screen will hear of the next ballot (tests wait for it after a restart).
    source.addEventListener("open", function () { streamWait = 2000; frame.dataset.live = "1"; });
    source.addEventListener("error", function () {
      delete frame.dataset.live;
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        setTimeout(connect, streamWait / 2 + Math.random() * streamWait);
        streamWait = Math.min(streamWait * 2, 60000);
      }
    });
  }

  schedule(parseInt(frame.dataset.nextIn, 10) + 300);
  if (frame.dataset.events && thanks) { connect(); }
})();
