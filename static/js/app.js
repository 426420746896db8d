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

  // The phone menu (<details data-menu>) works without script; this only closes it
  // on Escape (focus back on its button) and on a tap anywhere outside it.
  function openMenus() {
    return document.querySelectorAll("details[data-menu][open]");
  }
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
      return;
    }
    openMenus().forEach(function (menu) {
      menu.removeAttribute("open");
      var summary = menu.querySelector("summary");
      if (summary) {
        summary.focus();
      }
    });
  });
  document.addEventListener("click", function (event) {
    openMenus().forEach(function (menu) {
      if (!menu.contains(event.target)) {
        menu.removeAttribute("open");
      }
    });
  });

  // Length counters of LongTextField controls (data-limit): the server refuses an
  // over-long text with a message; this only shows the count as you type or paste.
  function formatCount(n) {
    return n.toLocaleString("en-US");
  }
  function updateCounter(control) {
    var counter = document.querySelector('[data-counter-for="' + control.id + '"]');
    if (!counter) {
      return;
    }
    var limit = parseInt(control.getAttribute("data-limit"), 10);
    var length = control.value.length;
    var count = counter.querySelector("[data-count]");
    if (count) {
      count.textContent = formatCount(length);
    }
    var over = length > limit;
    counter.classList.toggle("field__counter--over", over);
    var note = counter.querySelector("[data-over]");
    if (over && !note) {
      note = document.createElement("span");
      note.setAttribute("data-over", "");
      counter.appendChild(note);
    }
    if (note) {
      note.textContent = over ? " — " + formatCount(length - limit) + " over the limit" : "";
    }
  }
  document.addEventListener("input", function (event) {
    var control = event.target;
    if (control && control.hasAttribute && control.hasAttribute("data-limit")) {
      updateCounter(control);
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-limit]").forEach(updateCounter);
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

  // Back on a job-starting form that was already sent (data-remember-submission):
  // say which job it started. The key it was sent with is kept per page in
  // sessionStorage, so this works whether the browser re-renders the page or
  // shows it from its back-forward cache; the server only answers for the
  // signed-in writer's own submissions (a 404, which htmx does not swap in, for anything else).
  var SUBMITTED = "nf-submitted:";
  var KEY_RE = /^[A-Za-z0-9_-]{8,80}$/;
  function keyInput(form) {
    return form ? form.querySelector('input[name="submission_key"]') : null;
  }
  function remembered() {
    try {
      return window.sessionStorage.getItem(SUBMITTED + window.location.pathname);
    } catch (e) {
      return null;
    }
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var input = keyInput(form);
    if (event.defaultPrevented || !input || !form.hasAttribute("data-remember-submission")) {
      return;
    }
    try {
      window.sessionStorage.setItem(SUBMITTED + window.location.pathname, input.value);
    } catch (e) {
      /* storage off: the notice is a convenience, the server still refuses a second job */
    }
  });
  window.addEventListener("pageshow", function () {
    var box = document.querySelector("[data-submission-status]");
    var key = remembered();
    if (!box || !key || !KEY_RE.test(key) || !window.htmx) {
      return;
    }
    var url = box.getAttribute("data-submission-status").replace("__key__", key);
    window.htmx.ajax("GET", url, { target: box, swap: "innerHTML" }).then(function () {
      // A re-rendered page has a fresh key: give it back the one that started the job, so
      // sending the form again opens that job (one submission, one job) as the notice says.
      var input = keyInput(document.querySelector("form[data-remember-submission]"));
      if (input && box.querySelector("[data-testid='already-submitted']")) {
        input.value = key;
      }
    });
  });
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-forget-submission]");
    if (!link) {
      return;
    }
    try {
      window.sessionStorage.removeItem(SUBMITTED + window.location.pathname);
    } catch (e) {
      /* nothing remembered */
    }
    event.preventDefault();
    window.location.replace(window.location.pathname);  // a fresh form: a new one-time key
  });
})();
