/* Draws the Plotly figures that the server built (reports/charts.py).
   Each <div class="chart" data-figure="ID"> takes its figure from the JSON in
   <script type="application/json" id="ID"> (Django's json_script): no inline script, so the page
   works under the strict content security policy. */
(function () {
  "use strict";
  var PHONE = 576; // px: on a screen narrower than this the charts get their phone layout

  // plotly.js writes a few style attributes with setAttribute("style", …) (the colour bar's
  // fills), which the policy (style-src 'self', no 'unsafe-inline') refuses and reports. The same
  // declarations set through the CSS object model are allowed: route them there.
  var setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (name, value) {
    if (typeof name === "string" && name.toLowerCase() === "style") {
      this.style.cssText = String(value);
      return;
    }
    return setAttribute.call(this, name, value);
  };

  function config(phone) {
    return {
      displaylogo: false,
      responsive: true,
      // Only what helps with these charts; on a phone just the download, so the toolbar stays
      // small in its corner and never covers the legend.
      modeBarButtons: phone
        ? [["toImage"]]
        : [["toImage", "zoom2d", "pan2d", "zoomIn2d", "zoomOut2d", "resetScale2d"]],
      toImageButtonOptions: { format: "png", scale: 2 },
      locale: "vi"
    };
  }

  var LABEL = 22; // characters of a row label on a phone

  function shorten(text, max) {
    if (typeof text !== "string") {
      return text;
    }
    return text.length > max ? text.slice(0, max - 1) + "…" : text;
  }

  // A phone: the legend goes below the chart, the heatmap's column labels stand upright, long
  // row labels (unit names) are shortened to one line instead of taking half the width.
  function phoneLayout(figure) {
    var layout = figure.layout || {};
    layout.margin = Object.assign({ l: 10, r: 10, t: 30, b: 40 }, layout.margin || {});
    layout.margin.l = Math.min(layout.margin.l, 10);
    if (layout.showlegend !== false && figure.data.length > 1) {
      layout.legend = Object.assign({}, layout.legend || {}, {
        orientation: "h",
        x: 0,
        xanchor: "left",
        y: 0,
        yref: "container",
        yanchor: "bottom"
      });
      layout.margin.b = (layout.margin.b || 40) + 60;
      layout.height = (layout.height || 300) + 60;
    }
    // Margins grow to what the ticks need (the left margin shrank above); the x axis title goes
    // below the ticks, not on them; the legend then goes below both.
    ["xaxis", "yaxis", "yaxis2"].forEach(function (axis) {
      if (axis === "xaxis" || layout[axis]) {
        layout[axis] = Object.assign({}, layout[axis] || {}, { automargin: true });
      }
    });
    var heatmap = figure.data.some(function (trace) { return trace.type === "heatmap"; });
    if (heatmap) {
      layout.xaxis = Object.assign({}, layout.xaxis || {}, { tickangle: -90, tickfont: { size: 10 } });
      // The colour scale lies under the grid (its column labels are on top) instead of taking a
      // fifth of the width beside it.
      figure.data.forEach(function (trace) {
        if (trace.type === "heatmap") {
          trace.colorbar = Object.assign({}, trace.colorbar || {}, {
            orientation: "h", x: 0, xanchor: "left", y: -0.02, yanchor: "top", len: 1, thickness: 12
          });
        }
      });
    }
    // Unit names label the rows of horizontal bars and of the heatmap: on a phone each keeps one
    // line of at most LABEL characters (the full name is in the hover text and the table below), the
    // same in every trace and in the axis order so the categories still match.
    var rows = figure.data.some(function (trace) {
      return trace.orientation === "h" || trace.type === "heatmap";
    });
    if (rows) {
      var short = {};
      var taken = {};
      var label = function (text) {
        if (typeof text !== "string") {
          return text;
        }
        if (!(text in short)) {
          var s = shorten(text, LABEL);
          short[text] = taken[s] ? text : s; // two names alike in their start keep their full text
          taken[short[text]] = true;
        }
        return short[text];
      };
      figure.data.forEach(function (trace) {
        if (Array.isArray(trace.y)) {
          trace.y = trace.y.map(label);
        }
      });
      if (layout.yaxis && Array.isArray(layout.yaxis.categoryarray)) {
        layout.yaxis.categoryarray = layout.yaxis.categoryarray.map(label);
      }
    }
    return layout;
  }

  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-figure"));
    if (!source || !window.Plotly) {
      return;
    }
    var figure = JSON.parse(source.textContent);
    if (!figure || !figure.data) {
      return;
    }
    var phone = window.innerWidth < PHONE;
    var layout = phone ? phoneLayout(figure) : figure.layout || {};
    window.Plotly.newPlot(el, figure.data, layout, config(phone)).then(function () {
      el.setAttribute("data-drawn", "true");
    });
  }

  function charts() {
    return document.querySelectorAll("[data-figure]");
  }

  function drawAll() {
    var all = charts();
    for (var i = 0; i < all.length; i++) {
      draw(all[i]);
    }
  }

  // Printing: each chart is drawn at the printable width (A4 landscape, about 1000 px) and gets
  // its own width back afterwards, so it is neither cut at the page edge nor squeezed.
  var PRINT_WIDTH = 1000;
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(charts(), function (el) {
      if (el.getAttribute("data-drawn")) {
        window.Plotly.relayout(el, { width: Math.min(el.clientWidth, PRINT_WIDTH) });
      }
    });
  });
  window.addEventListener("afterprint", function () {
    Array.prototype.forEach.call(charts(), function (el) {
      if (el.getAttribute("data-drawn")) {
        window.Plotly.relayout(el, { width: null, autosize: true });
      }
    });
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
