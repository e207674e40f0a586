/* A "Print" button ([data-print]) on printable pages: shown only when this script runs,
   since it needs it; the page prints with its print stylesheet either way (Ctrl+P). */
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
