// Progressive enhancements. The site works without this file.
(function () {
  "use strict";

  function typeset(root) {
    if (!window.renderMathInElement) return;
    root.querySelectorAll(".math").forEach(function (el) {
      if (el.dataset.typeset) return;
      el.dataset.typeset = "1";
      window.renderMathInElement(el, {
        delimiters: [{ left: "$$", right: "$$", display: false }],
        throwOnError: false,
      });
    });
  }

  function copyButtons(root) {
    root.querySelectorAll("[data-copy-target]").forEach(function (btn) {
      if (btn.dataset.bound) return;
      btn.dataset.bound = "1";
      btn.hidden = false;
      btn.addEventListener("click", function () {
        var target = document.getElementById(btn.dataset.copyTarget);
        if (!target || !navigator.clipboard) return;
        navigator.clipboard.writeText(target.textContent).then(function () {
          var label = btn.textContent;
          btn.textContent = btn.dataset.copiedLabel || "✓";
          setTimeout(function () { btn.textContent = label; }, 1500);
        });
      });
    });
  }

  // A code block or wide table that scrolls sideways must take the keyboard
  // focus, or keyboard users cannot scroll it (WCAG 2.1.1).
  function focusableScrollers(root) {
    root.querySelectorAll(".prose pre, .prose table, .table-wrap, .table-scroll, .heatmap-scroll, .overflow-auto").forEach(function (el) {
      if (el.hasAttribute("tabindex")) return;
      var style = window.getComputedStyle(el);
      var scrolls = /(auto|scroll)/.test(style.overflowX + " " + style.overflowY);
      if (scrolls && (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1)) {
        el.tabIndex = 0;
      }
    });
  }

  function enhance(root) {
    typeset(root);
    copyButtons(root);
    focusableScrollers(root);
  }

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:afterSettle", function (e) { enhance(e.target); });
})();
