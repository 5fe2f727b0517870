// The citizen form on a real phone and a real network: "Đang gửi…" while sending, and when a
// send fails (no network, a timeout, a 5xx) a clear message with "Gửi lại". The answers stay on
// the page and the retry sends the same idempotency key (the form's hidden "idem"), so a send
// that did reach the server before its answer was lost gives back the same receipt, not a
// second ballot. On a kiosk the thank-you page opens a fresh form by itself, and a form left
// half-answered asks whether anyone is still there, then clears itself.
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
    var xhr0 = event.detail && event.detail.xhr;
    var unreachable = event.type !== "htmx:responseError" || (xhr0 && xhr0.status >= 500);
    if (form.dataset.kioskOffice && window.hailongKiosk && unreachable) {
      // A kiosk does not make the citizen wait for the network: the rating waits on the kiosk
      // (kiosk.js), under the same key, so one that did get through is not stored twice.
      window.hailongKiosk.queue();
      return;
    }
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

  // A kiosk's form someone stopped touching: after data-idle-after seconds it asks "Ông/Bà còn
  // tiếp tục không?", and data-idle-prompt seconds later opens a fresh form, so the next person
  // never finds a stranger's answers. A form nobody has touched has nothing to clear. Any touch
  // or key starts the wait again (and answers the question). Listeners sit on the document, as
  // htmx may swap the form for one with the problems marked.
  var idle = null, countdown = null;

  function kioskForm() { return document.querySelector("form#survey[data-idle-after]"); }

  function clearForm(form) { location.replace(form.dataset.idleUrl); }

  function ask() {
    var form = kioskForm();
    var dialog = form && form.querySelector("dialog[data-idle]");
    if (!dialog || dialog.open) { return; }
    var left = parseInt(form.dataset.idlePrompt, 10) || 15;
    var count = dialog.querySelector("[data-idle-count]");
    count.textContent = left;
    dialog.showModal();
    countdown = setInterval(function () {
      left -= 1;
      count.textContent = Math.max(left, 0);
      if (left <= 0) { clearInterval(countdown); clearForm(form); }
    }, 1000);
  }

  function touch(event) {
    var form = kioskForm();
    if (!form) { return; }
    if (event.target.closest && event.target.closest("[data-idle-clear]")) { return; }
    clearInterval(countdown);
    clearTimeout(idle);
    var dialog = form.querySelector("dialog[data-idle]");
    if (dialog && dialog.open) { dialog.close(); }
    idle = setTimeout(ask, (parseInt(form.dataset.idleAfter, 10) || 60) * 1000);
  }

  ["pointerdown", "keydown", "input", "wheel"].forEach(function (type) {
    document.addEventListener(type, touch, true);
  });
  document.addEventListener("click", function (event) {
    var clear = event.target.closest && event.target.closest("[data-idle-clear]");
    var form = kioskForm();
    if (clear && form) { clearInterval(countdown); clearForm(form); }
  });
  // The thank-you replaces the form: nothing left to watch.
  document.addEventListener("htmx:afterSettle", function () {
    if (!kioskForm()) { clearTimeout(idle); clearInterval(countdown); }
  });
})();
