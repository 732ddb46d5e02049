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

  // Paper is narrower than most screens: before printing, every chart is redrawn at the
  // printable width (A4 less margins, 180 mm = 680 CSS px) so it is never cut off, and
  // given back its screen size afterwards. Charts drawn for paper (fixed width) are left alone.
  var PRINT_WIDTH = 680;
  function plots() {
    return Array.prototype.slice.call(document.querySelectorAll(".js-plotly-plot"));
  }

  function forPrint() {
    if (!window.Plotly) { return; }
    plots().forEach(function (plot) {
      var drawn = plot._fullLayout ? plot._fullLayout.width : plot.offsetWidth;
      if (plot.layout && plot.layout.autosize !== false && drawn > PRINT_WIDTH) {
        plot.setAttribute("data-print-resized", "1");
        window.Plotly.relayout(plot, {width: PRINT_WIDTH});
      }
    });
  }

  function forScreen() {
    if (!window.Plotly) { return; }
    plots().forEach(function (plot) {
      if (plot.getAttribute("data-print-resized")) {
        plot.removeAttribute("data-print-resized");
        window.Plotly.relayout(plot, {width: null, autosize: true});
      }
    });
  }

  window.addEventListener("beforeprint", forPrint);
  window.addEventListener("afterprint", forScreen);
  if (window.matchMedia) {
    var print = window.matchMedia("print");
    var follow = function (event) { if (event.matches) { forPrint(); } else { forScreen(); } };
    if (print.addEventListener) { print.addEventListener("change", follow); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
