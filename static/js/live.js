// Live dashboards: when the server says a ballot arrived, fetch the figures again (htmx) and
// swap them in. One refresh at a time; events that come in meanwhile cost one more refresh.
(function () {
  "use strict";
  document.querySelectorAll("[data-live]").forEach(function (el) {
    var busy = false, again = false;
    function refresh() {
      if (busy) { again = true; return; }
      busy = true;
      htmx.ajax("GET", el.dataset.refresh, { target: el, swap: "innerHTML" }).finally(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
    }
    var source = new EventSource(el.dataset.live);
    source.addEventListener("ballot", refresh);
    source.addEventListener("open", function () { el.dataset.connected = "true"; });
  });
})();
