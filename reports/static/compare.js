/* Region picker on the comparison page: each checkbox shows or hides one region's column.
   The picker stays hidden without script, and the page is then the full table. */
(function () {
  "use strict";
  var picker = document.getElementById("region-picker");
  if (!picker) { return; }
  picker.hidden = false;
  picker.addEventListener("change", function (event) {
    var box = event.target;
    if (!box || box.type !== "checkbox") { return; }
    var col = String(parseInt(box.getAttribute("data-col"), 10));
    var cells = document.querySelectorAll('.compare-table [data-col="' + col + '"]');
    Array.prototype.forEach.call(cells, function (cell) { cell.hidden = !box.checked; });
  });
})();
