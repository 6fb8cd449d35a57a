// View: draws each report's charts with Chart.js from its JSON endpoint (the same period as
// the page). The tables beside them are the accessible version, and all there is without
// JavaScript; a new period reloads the page, so charts and tables always agree.
(function () {
  "use strict";

  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function config(spec, locale) {
    var horizontal = !!spec.horizontal;
    var valueAxis = { stacked: !!spec.stacked, beginAtZero: true, ticks: { precision: 0 } };
    var labelAxis = { stacked: !!spec.stacked };
    return {
      type: spec.type || "bar",
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (dataset) {
          return { label: dataset.label, data: dataset.data };
        })
      },
      options: {
        locale: locale,
        indexAxis: horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: reduceMotion ? false : { duration: 300 },
        scales: horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis },
        plugins: {
          title: { display: !!spec.title, text: spec.title },
          legend: { display: spec.datasets.length > 1 }
        }
      }
    };
  }

  function draw(report, payload) {
    var box = report.querySelector("[data-charts]");
    if (!box || !payload.rows.length) return;
    var locale = document.documentElement.lang || undefined;
    box.hidden = false;
    payload.charts.forEach(function (spec, index) {
      var canvas = box.querySelector('canvas[data-chart="' + index + '"]');
      if (!canvas) return;
      // The chart fills its box: a fixed height, or one per bar for horizontal bars.
      var holder = canvas.parentNode;
      holder.style.position = "relative";
      holder.style.height = spec.horizontal ? (90 + 30 * spec.labels.length) + "px" : "18rem";
      var previous = window.Chart.getChart(canvas);
      if (previous) previous.destroy();
      new window.Chart(canvas, config(spec, locale));
    });
  }

  function load(report) {
    var url = report.getAttribute("data-url");
    if (!url || typeof window.fetch !== "function") return;
    window.fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (payload) { draw(report, payload); })
      .catch(function () { /* the table is there: no chart is no loss */ });
  }

  function init() {
    if (!window.Chart) return;
    Array.prototype.forEach.call(document.querySelectorAll("[data-report]"), load);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
