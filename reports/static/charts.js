/* Draws every chart on a page from its JSON block (a <script type="application/json">),
   using the site's shared plotly.js. Without script the table alternative carries the page. */
(function () {
  "use strict";

  function drawAll() {
    if (!window.Plotly) { return; }
    var blocks = document.querySelectorAll("script.chart-data");
    Array.prototype.forEach.call(blocks, function (block) {
      var target = document.getElementById(block.getAttribute("data-target"));
      if (!target) { return; }
      var spec = JSON.parse(block.textContent);
      target.textContent = "";
      window.Plotly.newPlot(target, spec.figure.data, spec.figure.layout, spec.config);
    });
  }

  function resizeAll() {
    if (!window.Plotly) { return; }
    Array.prototype.forEach.call(document.querySelectorAll(".js-plotly-plot"), function (plot) {
      window.Plotly.Plots.resize(plot);
    });
  }

  // A citation names the day the reader consulted the page: today, in the page's language.
  function datesToday() {
    var lang = document.documentElement.lang === "en" ? "en-GB" : "nl-NL";
    var today = new Date();
    Array.prototype.forEach.call(document.querySelectorAll("time.consulted"), function (el) {
      el.textContent = today.toLocaleDateString(lang, {day: "numeric", month: "long", year: "numeric"});
      el.setAttribute("datetime", today.toISOString().slice(0, 10));
    });
  }

  window.addEventListener("beforeprint", resizeAll);
  window.addEventListener("afterprint", resizeAll);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
    document.addEventListener("DOMContentLoaded", datesToday);
  } else {
    drawAll();
    datesToday();
  }
})();
