// The scoring sheet: running totals per component as the user types, bounds hints, keyboard moves
// (Enter / arrows go to the same column in the next or previous row, Ctrl+S saves) and a warning
// before leaving with unsaved changes. Data comes from the json_script block "sheet-data"; the
// server validates everything again.
(function () {
  "use strict";
  var table = document.getElementById("sheet");
  if (!table) return;
  var form = document.getElementById("sheet-form");
  var dataEl = document.getElementById("sheet-data");
  var cfg = dataEl ? JSON.parse(dataEl.textContent) : {};
  var fmt = new Intl.NumberFormat(cfg.locale || "vi-VN", {
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
  });
  var dirty = false;

  function parse(text) {
    if (text === null || text === undefined) return null;
    text = String(text).trim().replace(/\s/g, "");
    if (text === "") return null;
    if ((text.match(/,/g) || []).length === 1 && text.indexOf(".") === -1) {
      text = text.replace(",", ".");
    }
    if (!/^-?\d*(\.\d+)?$/.test(text)) return NaN;
    return parseFloat(text);
  }

  // The typed value of a field: its input when editable, else the stored value on the row. A
  // refused or invalid input does not count: the saved value stands until it is corrected.
  function value(row, kind) {
    var input = row.querySelector('input[data-kind="' + kind + '"]');
    if (input && !input.classList.contains("is-invalid")) return parse(input.value);
    return parse(row.getAttribute("data-" + kind));
  }

  // Which typed value counts is the server's rule (indicators.computation.ENTERED_PRECEDENCE),
  // sent in "sheet-data": the first field in that order with a number in it.
  var precedence = cfg.enteredPrecedence || [];

  function entered(row) {
    for (var i = 0; i < precedence.length; i++) {
      var v = value(row, precedence[i]);
      if (v !== null && !isNaN(v)) return v;
    }
    return undefined;
  }

  function clamp(v, max) {
    return Math.min(Math.max(v, 0), max);
  }

  function recompute() {
    var totals = {};
    var selfTotals = {};
    var grand = 0;
    var grandSelf = 0;
    table.querySelectorAll("tr.leaf").forEach(function (row) {
      var max = parseFloat(row.dataset.max);
      var deducted = parseFloat(row.dataset.deducted) || 0;
      var na = row.querySelector("input.na");
      var notApplicable = na ? na.checked : row.dataset.na === "1";
      var self = value(row, "self_points");
      var typed = entered(row);
      var base = typed !== undefined ? typed : parseFloat(row.dataset.base) || 0;
      // Not applicable: no points, and out of the totals and the maximum (as on the server).
      var points = notApplicable ? 0 : clamp(base - deducted, max);
      var cell = row.querySelector("[data-points]");
      if (cell) cell.textContent = fmt.format(points);
      var gapCell = row.querySelector("[data-gap]");
      if (gapCell) {
        gapCell.textContent = self !== null && !isNaN(self) && self - points !== 0 ? fmt.format(self - points) : "";
      }
      row.classList.toggle("text-decoration-line-through", notApplicable);
      if (notApplicable) return;
      var comp = row.dataset.component;
      totals[comp] = (totals[comp] || 0) + points;
      grand += points;
      if (self !== null && !isNaN(self)) {
        selfTotals[comp] = (selfTotals[comp] || 0) + self;
        grandSelf += self;
      }
    });
    document.querySelectorAll("[data-total-points]").forEach(function (el) {
      el.textContent = fmt.format(totals[el.dataset.totalPoints] || 0);
    });
    document.querySelectorAll("[data-total-self]").forEach(function (el) {
      el.textContent = fmt.format(selfTotals[el.dataset.totalSelf] || 0);
    });
    var gp = document.getElementById("grand-points");
    if (gp) gp.textContent = fmt.format(grand);
    var gs = document.getElementById("grand-self");
    if (gs) gs.textContent = fmt.format(grandSelf);
  }

  function check(input) {
    var v = parse(input.value);
    var max = parseFloat(input.dataset.max);
    var step = parseFloat(input.dataset.step);
    var message = "";
    if (v !== null && isNaN(v)) message = cfg.notNumber || "";
    else if (v !== null && (v < 0 || v > max)) {
      message = (cfg.outOfRange || "").replace("%(max)s", fmt.format(max));
    } else if (v !== null && step > 0 && Math.abs(v / step - Math.round(v / step)) > 1e-9) {
      message = (cfg.notStep || "").replace("%(step)s", fmt.format(step));
    }
    // A value the server refused stays marked until the user types in the cell again.
    if (!message && input.dataset.refused === "1") message = input.title || cfg.notNumber || "";
    input.setCustomValidity(message);
    input.classList.toggle("is-invalid", message !== "");
    input.setAttribute("aria-invalid", message !== "" ? "true" : "false");
    input.title = message;
  }

  function markDirty() {
    if (!dirty) {
      dirty = true;
      var flag = document.getElementById("dirty-flag");
      if (flag) flag.classList.remove("d-none");
    }
  }

  table.addEventListener("input", function (event) {
    var t = event.target;
    if (t.matches("input.pts")) {
      delete t.dataset.refused;
      check(t);
    }
    markDirty();
    recompute();
  });
  table.addEventListener("change", function (event) {
    if (event.target.matches("input.na")) {
      markDirty();
      recompute();
    }
  });

  // Enter / ↓ / ↑ move to the same kind of field in the next or previous row.
  table.addEventListener("keydown", function (event) {
    var t = event.target;
    if (!t.matches("input.pts, input.measured")) return;
    var down = event.key === "Enter" || event.key === "ArrowDown";
    var up = event.key === "ArrowUp";
    if (!down && !up) return;
    event.preventDefault();
    var selector = t.dataset.kind ? 'input[data-kind="' + t.dataset.kind + '"]' : "input.measured";
    var all = Array.prototype.slice.call(table.querySelectorAll(selector));
    var next = all[all.indexOf(t) + (down ? 1 : -1)];
    if (next) {
      next.focus();
      next.select();
    }
  });

  document.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "s" && form) {
      event.preventDefault();
      dirty = false;
      form.requestSubmit ? form.requestSubmit() : form.submit();
    }
  });
  if (form) {
    form.addEventListener("submit", function () {
      dirty = false;
    });
  }
  window.addEventListener("beforeunload", function (event) {
    if (dirty) {
      event.preventDefault();
      event.returnValue = cfg.unsaved || "";
      return cfg.unsaved;
    }
  });

  table.querySelectorAll("input.pts").forEach(check);
  recompute();

  // After a refused save the page opens on the first refused cell (its message under it), not at
  // the top of a long sheet.
  var refused = table.querySelector("[data-refused]");
  if (refused) {
    refused.scrollIntoView({ block: "center" });
    refused.focus({ preventScroll: true });
  }
})();
