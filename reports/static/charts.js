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

  window.addEventListener("beforeprint", resizeAll);
  window.addEventListener("afterprint", resizeAll);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
