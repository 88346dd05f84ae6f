// Hover/focus preview of glossary links (a.term-link). Without this file the
// links simply navigate to the term page.
(function () {
  "use strict";

  var TOOLTIP_ID = "term-tooltip";
  var cache = new Map();
  var active = null;
  var hideTimer = null;
  var tooltip = null;

  function getTooltip() {
    if (tooltip) return tooltip;
    tooltip = document.createElement("div");
    tooltip.id = TOOLTIP_ID;
    tooltip.className = "term-tooltip";
    tooltip.setAttribute("role", "tooltip");
    tooltip.hidden = true;
    // Inline essentials so the tooltip works on pages that do not load glossary.css.
    Object.assign(tooltip.style, {
      position: "absolute", zIndex: "50", maxWidth: "24rem", padding: ".6rem .8rem", borderRadius: ".4rem",
      background: "#fff", border: "1px solid #cbd5e1", boxShadow: "0 4px 16px rgba(15, 23, 42, .15)", fontSize: ".9rem",
    });
    tooltip.addEventListener("mouseenter", cancelHide);
    tooltip.addEventListener("mouseleave", scheduleHide);
    document.body.appendChild(tooltip);
    return tooltip;
  }

  function previewUrl(link) {
    var url = new URL(link.getAttribute("href"), window.location.href);
    if (url.origin !== window.location.origin) return null;
    return url.pathname.replace(/\/?$/, "/") + "preview/";
  }

  function load(url) {
    if (!cache.has(url)) {
      cache.set(
        url,
        fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" }).then(function (r) {
          if (!r.ok) throw new Error(String(r.status));
          return r.text();
        })
      );
    }
    return cache.get(url);
  }

  function place(link, tip) {
    var rect = link.getBoundingClientRect();
    var top = rect.bottom + window.scrollY + 6;
    var left = Math.max(8, Math.min(rect.left + window.scrollX, window.scrollX + document.documentElement.clientWidth - tip.offsetWidth - 8));
    tip.style.top = top + "px";
    tip.style.left = left + "px";
  }

  function show(link) {
    cancelHide();
    if (active === link) return;
    hide();
    var url = previewUrl(link);
    if (!url) return;
    active = link;
    load(url).then(
      function (html) {
        if (active !== link) return;
        var tip = getTooltip();
        var doc = new DOMParser().parseFromString(html, "text/html");
        doc.querySelectorAll(".term-preview-more, a, script").forEach(function (el) { el.remove(); });
        tip.replaceChildren.apply(tip, Array.prototype.slice.call(doc.body.childNodes));
        tip.hidden = false;
        link.setAttribute("aria-describedby", TOOLTIP_ID);
        place(link, tip);
      },
      function () { cache.delete(url); }
    );
  }

  function hide() {
    cancelHide();
    if (active) active.removeAttribute("aria-describedby");
    active = null;
    if (tooltip) tooltip.hidden = true;
  }

  function scheduleHide() {
    cancelHide();
    hideTimer = window.setTimeout(hide, 250);
  }

  function cancelHide() {
    if (hideTimer) window.clearTimeout(hideTimer);
    hideTimer = null;
  }

  function termLink(target) {
    return target && target.closest ? target.closest("a.term-link") : null;
  }

  document.addEventListener("mouseover", function (e) {
    var link = termLink(e.target);
    if (link) show(link);
  });
  document.addEventListener("mouseout", function (e) {
    var link = termLink(e.target);
    if (link && link === active && !link.contains(e.relatedTarget)) scheduleHide();
  });
  document.addEventListener("focusin", function (e) {
    var link = termLink(e.target);
    if (link) show(link);
  });
  document.addEventListener("focusout", function (e) {
    if (termLink(e.target) === active) scheduleHide();
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && active) hide();
  });
  document.addEventListener("htmx:beforeSwap", hide);
})();
