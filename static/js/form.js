// The citizen form on a real phone and a real network: "Đang gửi…" while sending, and when a
// send fails (no network, a timeout, a 5xx) a clear message with "Gửi lại". The answers stay on
// the page and the retry sends the same idempotency key (the form's hidden "idem"), so a send
// that did reach the server before its answer was lost gives back the same receipt, not a
// second ballot. On a kiosk the thank-you page opens a fresh form by itself.
// Without JavaScript the plain form post works as before; htmx does the sending.
(function () {
  "use strict";

  function survey(target) {
    return target && target.id === "survey" && target.tagName === "FORM" ? target : null;
  }

  function button(form) { return form.querySelector("button.submit[type=submit]"); }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = survey(event.target);
    if (!form) { return; }
    var box = form.querySelector("[data-send-failed]");
    if (box) { box.hidden = true; }
    var submit = button(form);
    if (submit) {
      if (!submit.dataset.label) { submit.dataset.label = submit.textContent; }
      submit.textContent = submit.dataset.sending;
      submit.setAttribute("aria-busy", "true");
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = survey(event.target);
    if (!form) { return; }
    var submit = button(form);
    if (submit && submit.dataset.label) {
      submit.textContent = submit.dataset.label;
      submit.removeAttribute("aria-busy");
    }
  });

  // A page from the server that refuses the rating (403, 404 …) says why in its heading.
  function refusal(xhr) {
    if (!xhr || xhr.status < 400 || xhr.status >= 500 || !xhr.responseText) { return null; }
    var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
    var heading = doc.querySelector(".notice h1");
    return heading ? heading.textContent.trim() : null;
  }

  function failed(event) {
    var form = survey(event.target);
    if (!form) { return; }
    var box = form.querySelector("[data-send-failed]");
    if (!box) { return; }
    var reason = box.querySelector("[data-reason]");
    var xhr = event.detail && event.detail.xhr;
    var refused = event.type === "htmx:responseError" ? refusal(xhr) : null;
    if (refused) {
      reason.textContent = refused;
    } else if (event.type === "htmx:responseError") {
      reason.textContent = reason.dataset.server;
    } else {
      reason.textContent = reason.dataset.network;
    }
    box.hidden = false;
    box.focus();
  }

  document.addEventListener("htmx:sendError", failed);
  document.addEventListener("htmx:timeout", failed);
  document.addEventListener("htmx:responseError", failed);

  document.addEventListener("click", function (event) {
    var retry = event.target.closest && event.target.closest("[data-retry]");
    if (!retry) { return; }
    var form = survey(retry.closest("form"));
    if (!form) { return; }
    if (form.requestSubmit) { form.requestSubmit(button(form)); } else { button(form).click(); }
  });

  // A kiosk's thank-you: after a few seconds, a fresh form for the next person. The page is
  // replaced, not pushed, so Back cannot bring one person's answers or receipt to the next.
  var reset = null;
  function scheduleReset() {
    var thanks = document.querySelector("[data-reset-after]");
    if (!thanks || reset) { return; }
    var seconds = parseInt(thanks.dataset.resetAfter, 10) || 8;
    reset = setTimeout(function () { location.replace(thanks.dataset.resetUrl); }, seconds * 1000);
  }
  document.addEventListener("htmx:afterSettle", scheduleReset);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", scheduleReset);
  } else {
    scheduleReset();
  }
})();
