/* The model-connection form: a preset fills the address, models, JSON mode and prices.
   No inline scripts (CSP 'self'): the presets come from a JSON data block (json_script). */
(function () {
  "use strict";

  var FIELDS = [
    "base_url", "model_mini", "model_gpt4", "json_mode", "context_window",
    "price_mini_input", "price_mini_output", "price_gpt4_input", "price_gpt4_output"
  ];

  function presets() {
    var data = document.getElementById("connection-presets");
    if (!data) {
      return {};
    }
    var byKey = {};
    JSON.parse(data.textContent).forEach(function (preset) {
      byKey[preset.key] = preset;
    });
    return byKey;
  }

  function showHint(form, preset) {
    var hint = form.querySelector("[data-preset-hint]");
    if (hint) {
      hint.textContent = preset ? preset.hint : "";
    }
    var key = form.querySelector("#id_api_key");
    if (key && preset) {
      key.setAttribute("placeholder", preset.needs_key ? "required by this server" : "not needed for this server");
    }
  }

  var labels = [];

  function fill(form, preset) {
    FIELDS.forEach(function (name) {
      var control = form.querySelector("#id_" + name);
      if (control && preset[name] !== undefined) {
        control.value = preset[name];
      }
    });
    var nameField = form.querySelector("#id_name");
    if (nameField && (!nameField.value || labels.indexOf(nameField.value) !== -1)) {
      nameField.value = preset.label;  // an empty name, or one a preset filled in: the new preset's
    }
  }

  function init() {
    var form = document.querySelector("[data-connection-form]");
    if (!form) {
      return;
    }
    var byKey = presets();
    labels = Object.keys(byKey).map(function (key) { return byKey[key].label; });
    var picker = form.querySelector("#id_preset");
    if (!picker) {
      return;
    }
    showHint(form, byKey[picker.value]);
    picker.addEventListener("change", function () {
      var preset = byKey[picker.value];
      if (preset) {
        fill(form, preset);
      }
      showHint(form, preset);
    });
    // A model listed by "Test connection" can be put in a tier with one click.
    form.addEventListener("click", function (event) {
      var use = event.target.closest("[data-use-model]");
      if (!use) {
        return;
      }
      var control = form.querySelector("#id_" + use.getAttribute("data-use-model"));
      if (control) {
        control.value = use.getAttribute("data-model");
        control.focus();
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
