/* Chapter editor drafts: kept in this browser's localStorage while the writer types.
 * The editor form carries data-draft-key; a saved draft that differs from what the page shows is
 * offered back ("Restore draft" / "Discard draft"). The reader, after a successful save, carries
 * data-clear-draft with the same key and the draft is dropped. No inline script (CSP 'self'). */
(function () {
  "use strict";

  var PREFIX = "nf-draft:";
  var WORD = /[\p{L}]+(?:['’\-][\p{L}]+)*/gu;

  function store() {
    try {
      return window.localStorage;
    } catch (e) {
      return null; // storage disabled: the editor still works, without drafts
    }
  }

  function read(key) {
    var s = store();
    if (!s) return null;
    try {
      var value = JSON.parse(s.getItem(PREFIX + key) || "null");
      return value && typeof value.body === "string" ? value : null;
    } catch (e) {
      return null;
    }
  }

  function forget(key) {
    var s = store();
    if (s) s.removeItem(PREFIX + key);
  }

  function timeText(ms) {
    var d = new Date(ms);
    return d.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
  }

  function countWords(text) {
    var m = text.match(WORD);
    return m ? m.length : 0;
  }

  function setupEditor(form) {
    var key = form.getAttribute("data-draft-key");
    var title = form.querySelector('[name="title"]');
    var body = form.querySelector('[name="body"]');
    var note = form.querySelector('[name="note"]');
    var status = form.querySelector("[data-draft-status]");
    var words = form.querySelector("[data-word-count]");
    var offer = document.querySelector("[data-draft-offer]");
    var timer = null;

    function showWords() {
      if (!words) return;
      var n = countWords(body.value);
      words.textContent = n.toLocaleString() + (n === 1 ? " word" : " words");
    }

    function current() {
      return { title: title ? title.value : "", body: body.value, note: note ? note.value : "" };
    }

    function save() {
      var s = store();
      if (!s) return;
      var value = current();
      value.saved = Date.now();
      try {
        s.setItem(PREFIX + key, JSON.stringify(value));
        if (status) status.textContent = "Draft saved in this browser at " + timeText(value.saved) + ".";
      } catch (e) {
        if (status) status.textContent = "This browser could not keep a draft (storage full).";
      }
    }

    function changed() {
      showWords();
      if (timer) clearTimeout(timer);
      timer = setTimeout(save, 600);
    }

    [title, body, note].forEach(function (el) {
      if (el) el.addEventListener("input", changed);
    });
    showWords();

    var draft = read(key);
    var now = current();
    if (draft && offer && (draft.body !== now.body || (draft.title || "") !== now.title)) {
      var when = offer.querySelector("[data-draft-time]");
      if (when) when.textContent = timeText(draft.saved || Date.now());
      offer.hidden = false;
      offer.querySelector("[data-draft-restore]").addEventListener("click", function () {
        if (title) title.value = draft.title || "";
        body.value = draft.body;
        if (note) note.value = draft.note || "";
        offer.hidden = true;
        showWords();
        if (status) status.textContent = "Draft restored: save to keep it as a new version.";
        body.focus();
      });
      offer.querySelector("[data-draft-discard]").addEventListener("click", function () {
        forget(key);
        offer.hidden = true;
        if (status) status.textContent = "Draft discarded.";
      });
    }
  }

  function init() {
    document.querySelectorAll("form[data-draft-key]").forEach(setupEditor);
    document.querySelectorAll("[data-clear-draft]").forEach(function (el) {
      forget(el.getAttribute("data-clear-draft"));
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
