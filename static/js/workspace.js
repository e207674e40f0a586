/* Secretariat workspace: small enhancements on top of pages that work without JavaScript.
   - "Select all" on the mandate list (hidden until this script runs);
   - after htmx swaps in an outcome (saved, refused, errors), move focus to it so that
     keyboard and screen reader users hear what happened. */
(function () {
  "use strict";

  function wireSelectAll(root) {
    root.querySelectorAll("[data-select-all]").forEach(function (all) {
      var table = all.closest("table");
      if (!table) return;
      var boxes = table.querySelectorAll("tbody input[type=checkbox][name=mandates]");
      all.hidden = false;
      function sync() {
        var ticked = Array.prototype.filter.call(boxes, function (b) { return b.checked; }).length;
        all.checked = ticked > 0 && ticked === boxes.length;
        all.indeterminate = ticked > 0 && ticked < boxes.length;
      }
      all.addEventListener("change", function () {
        boxes.forEach(function (b) { b.checked = all.checked; });
        sync();
      });
      boxes.forEach(function (b) { b.addEventListener("change", sync); });
      sync();
    });
  }

  function focusOutcome(root) {
    var target = root.querySelector("[data-focus-after-swap]") || root.querySelector("[aria-invalid=true]");
    if (target) target.focus();
  }

  document.addEventListener("DOMContentLoaded", function () { wireSelectAll(document); });
  document.addEventListener("htmx:afterSwap", function (event) {
    var root = event.detail.target;
    // The swapped element replaced the target (outerHTML): look it up again by id.
    if (root && root.id && !root.isConnected) root = document.getElementById(root.id) || document;
    wireSelectAll(root || document);
    if (event.detail.requestConfig && event.detail.requestConfig.verb !== "get") focusOutcome(root || document);
  });
})();
