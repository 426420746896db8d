/* NarraForge front-end glue. No inline scripts anywhere: the CSP allows 'self' only. */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // htmx: every request carries the CSRF token from the <meta> tag.
  document.addEventListener("htmx:configRequest", function (event) {
    var token = csrfToken();
    if (token) {
      event.detail.headers["X-CSRFToken"] = token;
    }
  });

  // A failed poll (server restart, network blip) must not leave a frozen page
  // silently: mark the live region so the user sees it is retrying.
  document.addEventListener("htmx:sendError", function (event) {
    var el = event.detail.elt;
    if (el && el.setAttribute) {
      el.setAttribute("data-offline", "true");
    }
  });

  document.addEventListener("click", function (event) {
    // Dismissable messages.
    var close = event.target.closest("[data-dismiss]");
    if (close) {
      var box = close.closest(".alert");
      if (box) {
        box.remove();
      }
      return;
    }
  });

  // Forms that need a second thought (destructive actions) ask once more.
  document.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    var message = (submitter && submitter.getAttribute("data-confirm")) || event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  // One click, one job: a form whose button (or the form itself) has data-busy-label submits once.
  // The button stays enabled so its name/value is still posted, but it says it is working, and any
  // further submit of that form is swallowed. The server is idempotent anyway (a one-time key in
  // the form, jobs/submissions.py); this only spares the writer a second request.
  document.addEventListener("submit", function (event) {
    if (event.defaultPrevented) {
      return;
    }
    var form = event.target;
    var submitter = event.submitter;
    if (form.getAttribute("data-submitting") === "true") {
      event.preventDefault();
      return;
    }
    var label = (submitter && submitter.getAttribute("data-busy-label")) || form.getAttribute("data-busy-label");
    if (!label) {
      return;
    }
    form.setAttribute("data-submitting", "true");
    form.setAttribute("aria-busy", "true");
    if (submitter) {
      submitter.setAttribute("data-idle-label", submitter.textContent);
      submitter.setAttribute("aria-disabled", "true");
      submitter.classList.add("is-busy");
      submitter.textContent = label;
    }
  });

  // Back to a page from the browser's cache: its forms are usable again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-submitting]").forEach(function (form) {
      form.removeAttribute("data-submitting");
      form.removeAttribute("aria-busy");
      form.querySelectorAll(".is-busy").forEach(function (button) {
        button.classList.remove("is-busy");
        button.removeAttribute("aria-disabled");
        button.textContent = button.getAttribute("data-idle-label") || button.textContent;
      });
    });
  });
})();
