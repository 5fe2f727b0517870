// Live dashboards: the server pushes the new figures block over the stream ("figures", the
// same block for every screen watching, rendered once) and it is swapped in as it comes.
// Fetching it (htmx) is only for a reconnection, when ballots may have come in meanwhile, and
// for "ballot", which the server sends when it could not render the block itself.
// One refresh at a time; events that come in meanwhile cost one more refresh.
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
      source.addEventListener("figures", function (event) {
        el.innerHTML = event.data;
        htmx.process(el);
        el.dataset.updated = String(Date.now());
      });
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
