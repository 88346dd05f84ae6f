// Autosave helpers for the take page. The page works without this file:
// the form's own buttons save and submit. htmx posts each question as it
// changes (hx-post on its fieldset); this file shows refusals and connection
// problems, retries, and sends unsaved answers when the tab is closed.
(function () {
  "use strict";

  var form = document.getElementById("attempt-form");
  if (!form) return;
  var connection = document.getElementById("save-connection");
  var dirty = new Set();   // fieldsets with changes not yet confirmed by the server
  var failed = new Set();  // fieldsets whose last save did not reach the server

  function fieldsetOf(el) {
    return el && el.closest ? el.closest("fieldset.question") : null;
  }

  function showConnection(message) {
    if (!connection) return;
    connection.textContent = message || "";
    connection.hidden = !message;
  }

  form.addEventListener("input", function (e) {
    var fs = fieldsetOf(e.target);
    if (fs) dirty.add(fs);
  });
  form.addEventListener("change", function (e) {
    var fs = fieldsetOf(e.target);
    if (fs) dirty.add(fs);
  });

  // A refused save (stale page, deadline, invalid answer) comes back as 409
  // with the message in the status partial: show it instead of dropping it.
  document.body.addEventListener("htmx:beforeSwap", function (e) {
    var status = e.detail.xhr.status;
    if ((status === 409 || status === 422) && fieldsetOf(e.detail.elt)) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });

  document.body.addEventListener("htmx:afterRequest", function (e) {
    var fs = fieldsetOf(e.detail.elt);
    if (!fs) return;
    if (e.detail.successful) {
      dirty.delete(fs);
      failed.delete(fs);
      if (!failed.size) showConnection("");
    } else if (!e.detail.xhr || !e.detail.xhr.status) {
      failed.add(fs);
    }
  });

  function retry() {
    failed.forEach(function (fs) {
      if (window.htmx) window.htmx.trigger(fs, "change");
    });
  }

  document.body.addEventListener("htmx:sendError", function (e) {
    if (!fieldsetOf(e.detail.elt)) return;
    showConnection(navigator.onLine === false ? connection.dataset.offline : connection.dataset.failed);
    setTimeout(retry, 5000);
  });
  document.body.addEventListener("htmx:responseError", function (e) {
    var fs = fieldsetOf(e.detail.elt);
    if (!fs || e.detail.xhr.status === 409) return;
    failed.add(fs);
    showConnection(connection.dataset.failed);
    setTimeout(retry, 5000);
  });
  window.addEventListener("online", function () {
    showConnection("");
    retry();
  });

  // Closing the tab or switching away: send what the server has not confirmed.
  function flush() {
    if (!navigator.sendBeacon) return;
    dirty.forEach(function (fs) {
      var url = fs.getAttribute("hx-post");
      if (url) navigator.sendBeacon(url, new FormData(form));
    });
    dirty.clear();
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") flush();
  });
  window.addEventListener("pagehide", flush);

  // The form's own submit (buttons, timer) saves everything; no beacons then.
  form.addEventListener("submit", function () {
    dirty.clear();
  });

  // Answers typed before the scripts ran (slow connection) fired their events
  // before htmx listened: send them once htmx has wired the page.
  function changedBeforeReady(fs) {
    return Array.prototype.some.call(fs.querySelectorAll("input, textarea"), function (el) {
      if (el.type === "hidden") return false;
      if (el.type === "radio" || el.type === "checkbox") return el.checked !== el.defaultChecked;
      return el.value !== el.defaultValue;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    if (!window.htmx) return;
    form.querySelectorAll("fieldset.question").forEach(function (fs) {
      if (changedBeforeReady(fs)) {
        dirty.add(fs);
        window.htmx.trigger(fs, "change");
      }
    });
  });
})();
