/* Draws the Plotly figures that the server built (reports/charts.py).
   Each <div class="chart" data-figure="ID"> takes its figure from the JSON in
   <script type="application/json" id="ID"> (Django's json_script): no inline script, so the page
   works under the strict content security policy. */
(function () {
  "use strict";
  var config = {
    displaylogo: false,
    responsive: true,
    modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"],
    toImageButtonOptions: { format: "png", scale: 2 },
    locale: "vi"
  };

  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-figure"));
    if (!source || !window.Plotly) {
      return;
    }
    var figure = JSON.parse(source.textContent);
    if (!figure || !figure.data) {
      return;
    }
    window.Plotly.newPlot(el, figure.data, figure.layout || {}, config).then(function () {
      el.setAttribute("data-drawn", "true");
    });
  }

  function drawAll() {
    var charts = document.querySelectorAll("[data-figure]");
    for (var i = 0; i < charts.length; i++) {
      draw(charts[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
