// The header's menu on a small screen: the button opens and closes the panel (aria-expanded
// says which); Escape or a click elsewhere closes it. On a wide screen the CSS shows the panel
// as one row and hides the button. Without JavaScript, css/nojs.css shows the panel open.
(function () {
  "use strict";
  var button = document.querySelector(".site-header .menu-button");
  if (!button) {
    return;
  }
  var header = button.closest(".site-header");
  function isOpen() {
    return button.getAttribute("aria-expanded") === "true";
  }
  function set(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
  }
  button.addEventListener("click", function () {
    set(!isOpen());
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && isOpen()) {
      set(false);
      button.focus();
    }
  });
  document.addEventListener("click", function (event) {
    if (isOpen() && !header.contains(event.target)) {
      set(false);
    }
  });
})();
