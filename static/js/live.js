// Live dashboards: when the server says a ballot arrived, fetch the figures again (htmx) and
// swap them in. One refresh at a time; events that come in meanwhile cost one more refresh.
// A stream the server could not serve (a restart, an overload answered 503, a network cut)
// closes for good in the browser: reconnect by hand, later each time (with jitter, so a
// thousand screens do not come back at the same instant), and refresh once on reconnecting,
// since ballots may have come in meanwhile.
(function () {
  "use strict";
  document.querySelectorAll("[data-live]").forEach(function (el) {
    var busy = false, again = false, wait = 2000, source = null, missed = false;
    function refresh() {
      if (busy) { again = true; return; }
      busy = true;
      htmx.ajax("GET", el.dataset.refresh, { target: el, swap: "innerHTML" }).finally(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
    }
    function connect() {
      source = new EventSource(el.dataset.live);
      source.addEventListener("ballot", refresh);
      source.addEventListener("open", function () {
        el.dataset.connected = "true";
        wait = 2000;
        if (missed) { missed = false; refresh(); }
      });
      source.addEventListener("error", function () {
        el.dataset.connected = "false";
        missed = true;
        if (source.readyState === EventSource.CLOSED) {
          source.close();
          setTimeout(connect, wait / 2 + Math.random() * wait);
          wait = Math.min(wait * 2, 60000);
        }
      });
    }
    connect();
  });
})();
