// Keyboard shortcuts for flashcard review: Space reveals, 1–4 rate.
(function () {
  "use strict";

  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey || typing(e.target)) return;
    var card = document.querySelector("[data-review-card]");
    if (!card || card.classList.contains("htmx-request")) return;
    if (/^[1-4]$/.test(e.key)) {
      var button = card.querySelector('button[data-rating="' + e.key + '"]');
      if (button && !button.disabled) {
        e.preventDefault();
        button.click();
      }
    } else if (e.key === " " || e.key === "Spacebar") {
      var reveal = card.querySelector("[data-reveal]");
      if (reveal && document.activeElement !== reveal) {
        e.preventDefault();
        reveal.click();
      }
    }
  });

  // After a swap, move focus to the new card so screen readers read it.
  document.addEventListener("htmx:afterSettle", function (e) {
    if (!e.target.matches || !e.target.matches("[data-review-card]")) return;
    var heading = e.target.querySelector("[data-autofocus]");
    if (heading) heading.focus();
  });
})();
