/* The accountant's work queue: keyboard shortcuts on a document's page, the zoom of its
   pages, a page image that failed and can be asked again, and choosing rows in the inbox.
   Shortcuts are declared in the page (data-shortcut="j" on a link, a button or a field) and
   listed there; they are ignored while typing in a field (Esc leaves the field). */
(function () {
  "use strict";

  function typing(target) {
    if (!target || !target.closest) return false;
    return !!target.closest("input, textarea, select, [contenteditable=''], [contenteditable=true]");
  }

  // --- zoom -------------------------------------------------------------------------------
  var ZOOMS = [1, 1.5, 2, 3];
  var zoomIndex = 0;
  var pages = document.querySelector("[data-pages]");

  function zoom(how) {
    if (!pages) return;
    if (how === "in") zoomIndex = Math.min(zoomIndex + 1, ZOOMS.length - 1);
    else if (how === "out") zoomIndex = Math.max(zoomIndex - 1, 0);
    else zoomIndex = 0;
    pages.style.setProperty("--zoom", String(ZOOMS[zoomIndex]));
    pages.classList.toggle("zoomed", zoomIndex > 0);
  }

  var bar = document.querySelector("[data-zoom-bar]");
  if (bar && pages) {
    bar.hidden = false;
    bar.addEventListener("click", function (event) {
      var button = event.target.closest("[data-zoom]");
      if (button) zoom(button.getAttribute("data-zoom"));
    });
  }

  // --- a page image that did not come ------------------------------------------------------
  function pageFailed(image) {
    var error = image.parentNode.querySelector(".page-error");
    if (error) error.hidden = false;
    image.classList.add("page-missing");
  }

  Array.prototype.forEach.call(document.querySelectorAll("img.page-image"), function (image) {
    image.addEventListener("error", function () { pageFailed(image); });
    if (image.complete && image.naturalWidth === 0 && image.getAttribute("loading") !== "lazy") {
      pageFailed(image);
    }
  });
  document.addEventListener("click", function (event) {
    var retry = event.target.closest && event.target.closest("[data-page-retry]");
    if (!retry) return;
    var figure = retry.closest(".page");
    var image = figure.querySelector("img.page-image");
    retry.parentNode.hidden = true;
    image.classList.remove("page-missing");
    image.src = image.getAttribute("data-src") + "?again=" + Date.now();
  });

  // --- rejecting: Enter sends the reason and opens the next document ------------------------
  var rejectForm = document.querySelector("[data-reject-form]");
  if (rejectForm) {
    rejectForm.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || event.shiftKey || event.target.tagName !== "TEXTAREA") return;
      event.preventDefault();
      var next = rejectForm.querySelector("[data-reject-next]");
      if (rejectForm.requestSubmit) rejectForm.requestSubmit(next);
      else next.click();
    });
  }

  // --- shortcuts ----------------------------------------------------------------------------
  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    if (event.key === "+" || event.key === "=") { zoom("in"); event.preventDefault(); return; }
    if (event.key === "-" || event.key === "0") {
      zoom(event.key === "-" ? "out" : "fit");
      event.preventDefault();
      return;
    }
    var key = event.key.length === 1 ? event.key.toLowerCase() : "";
    if (!key) return;
    var target = document.querySelector('[data-shortcut="' + key + '"]');
    if (!target) return;
    event.preventDefault();
    if (target.matches("input, textarea, select")) {
      target.focus();
      if (target.scrollIntoView) target.scrollIntoView({ block: "center" });
    } else {
      target.click();
    }
  });

  // --- the inbox: choose every row, say how many are chosen --------------------------------
  var all = document.querySelector("[data-select-all]");
  var count = document.querySelector("[data-bulk-count]");
  if (all) {
    var boxes = document.querySelectorAll('input[type=checkbox][name="documents"]');
    var label = count ? count.getAttribute("data-template") : "";
    var update = function () {
      var chosen = 0;
      Array.prototype.forEach.call(boxes, function (box) { if (box.checked) chosen += 1; });
      all.checked = chosen > 0 && chosen === boxes.length;
      all.indeterminate = chosen > 0 && chosen < boxes.length;
      if (count && label) {
        count.textContent = label + " " + String(chosen);
        count.hidden = chosen === 0;
      }
    };
    all.hidden = false;
    all.addEventListener("change", function () {
      Array.prototype.forEach.call(boxes, function (box) { box.checked = all.checked; });
      update();
    });
    Array.prototype.forEach.call(boxes, function (box) { box.addEventListener("change", update); });
    update();
  }
})();
