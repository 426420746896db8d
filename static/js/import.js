/* The import form refuses a file past the size limit before it is uploaded (the server refuses it
 * too: this only saves the writer the wait). No inline script (CSP 'self'). */
(function () {
  "use strict";

  function megabytes(n) {
    return (n / 1024 / 1024).toFixed(1) + " MB";
  }

  function setup(form) {
    var input = form.querySelector('input[type="file"][data-max-bytes]');
    var error = form.querySelector("[data-size-error]");
    if (!input || !error) return;
    var limit = parseInt(input.getAttribute("data-max-bytes"), 10);

    function check() {
      var file = input.files && input.files[0];
      if (file && limit && file.size > limit) {
        error.textContent = "This file is " + megabytes(file.size) + "; the limit is " + megabytes(limit) +
          ". Choose a smaller file.";
        error.hidden = false;
        input.setAttribute("aria-invalid", "true");
        return false;
      }
      error.hidden = true;
      error.textContent = "";
      input.removeAttribute("aria-invalid");
      return true;
    }

    input.addEventListener("change", check);
    form.addEventListener("submit", function (event) {
      if (!check()) {
        event.preventDefault();
        input.focus();
      }
    });
  }

  function init() {
    document.querySelectorAll("form[data-import-form]").forEach(setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
