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
})();
