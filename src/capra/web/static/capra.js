// Capra: the one script of the pages. Shows the value of a figure's point (its data-tip)
// on hover, keyboard focus or tap. The pages work without it.
(function () {
  "use strict";
  var tip = null;
  function show(el, x, y) {
    if (!tip) { tip = document.getElementById("tip"); }
    if (!tip) { return; }
    tip.textContent = el.getAttribute("data-tip");
    tip.hidden = false;
    var w = tip.offsetWidth;
    var left = Math.min(x + 12, window.scrollX + document.documentElement.clientWidth - w - 8);
    tip.style.left = Math.max(4, left) + "px";
    tip.style.top = (y - 36) + "px";
  }
  function hide() { if (tip) { tip.hidden = true; } }
  function target(e) {
    var t = e.target;
    return t && t.getAttribute && t.getAttribute("data-tip") ? t : null;
  }
  document.addEventListener("mouseover", function (e) {
    var t = target(e); if (t) { show(t, e.pageX, e.pageY); }
  });
  document.addEventListener("mouseout", function (e) { if (target(e)) { hide(); } });
  document.addEventListener("click", function (e) {
    var t = target(e);
    if (t) { show(t, e.pageX, e.pageY); } else { hide(); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var pts = document.querySelectorAll("svg.chart [data-tip]");
    for (var i = 0; i < pts.length; i++) { pts[i].setAttribute("tabindex", "0"); }
  });
  document.addEventListener("focusin", function (e) {
    var t = target(e);
    if (t) { var r = t.getBoundingClientRect(); show(t, r.left + window.scrollX, r.top + window.scrollY); }
  });
})();
