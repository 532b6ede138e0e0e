// Draws the pipeline page's runs charts with uPlot: one chart per metric, one point per run,
// failed runs as crosses, flagged runs circled, and the anomaly rule's band when there is one.
// The data is in the page (a JSON script element); each chart records what it drew in data-*
// attributes, which the browser tests read.
(function () {
  "use strict";
  var holder = document.getElementById("charts");
  var source = holder && document.getElementById(holder.getAttribute("data-chart-source"));
  if (!holder || !source || !window.uPlot) return;
  var doc = JSON.parse(source.textContent);
  var css = getComputedStyle(document.documentElement);
  function color(name) { return css.getPropertyValue(name).trim(); }
  function translucent(hex) {
    // "#rrggbb" at 18 % opacity, so that grid lines and points show through the band.
    var n = parseInt(hex.slice(1), 16);
    return "rgba(" + (n >> 16) + "," + ((n >> 8) & 255) + "," + (n & 255) + ",0.18)";
  }

  function marker(shape, stroke) {
    // A uPlot points "show" hook drawing a cross or a ring at each non-null value.
    return function (u, seriesIndex) {
      var ctx = u.ctx, data = u.data[seriesIndex], xs = u.data[0];
      var r = 5 * devicePixelRatio;
      ctx.save();
      ctx.strokeStyle = stroke;
      ctx.lineWidth = 2 * devicePixelRatio;
      for (var i = 0; i < data.length; i++) {
        if (data[i] == null) continue;
        var x = u.valToPos(xs[i], "x", true), y = u.valToPos(data[i], "y", true);
        ctx.beginPath();
        if (shape === "cross") {
          ctx.moveTo(x - r, y - r); ctx.lineTo(x + r, y + r);
          ctx.moveTo(x + r, y - r); ctx.lineTo(x - r, y + r);
        } else {
          ctx.arc(x, y, r * 1.4, 0, 2 * Math.PI);
        }
        ctx.stroke();
      }
      ctx.restore();
      return false;
    };
  }

  // The latest run's band, or "by hour of day" when a seasonal rule's band moves along.
  function bandCaption(band) {
    if (band.seasonality !== "none") {
      return " · band by " + band.seasonality.replace(/_/g, " ");
    }
    var last = band.upper.length - 1;
    while (last > 0 && band.upper[last] == null) { last--; }
    return " · band " + band.lower[last].toFixed(1) + " – " + band.upper[last].toFixed(1);
  }

  function draw(chart) {
    var xs = doc.runs.map(function (run) { return run.t; });
    var values = chart.values;
    var failed = values.map(function (v, i) {
      return doc.runs[i].status === "failed" ? (v == null ? 0 : v) : null;
    });
    var flaggedSet = {};
    chart.flagged.forEach(function (i) { flaggedSet[i] = true; });
    var flagged = values.map(function (v, i) { return flaggedSet[i] ? v : null; });
    // The band first, so that the runs are drawn over it.
    var data = [xs], series = [{}], bands = [];
    if (chart.band) {
      var edge = { stroke: color("--anomaly"), width: 1, dash: [4, 4], points: { show: false } };
      data.push(chart.band.upper, chart.band.lower);
      series.push(Object.assign({ label: "band upper" }, edge));
      series.push(Object.assign({ label: "band lower" }, edge));
      bands.push({ series: [1, 2], fill: translucent(color("--anomaly")) });
    }
    data.push(values, failed, flagged);
    series.push(
      { label: chart.label, stroke: color("--running"), width: 1.5,
        points: { show: true, size: 5, fill: color("--running") }, spanGaps: true },
      { label: "failed run", stroke: color("--failed"), width: 0,
        points: { show: marker("cross", color("--failed")) } },
      { label: "flagged run", stroke: color("--anomaly"), width: 0,
        points: { show: marker("ring", color("--anomaly")) } }
    );
    var box = document.createElement("figure");
    box.className = "chart";
    box.setAttribute("data-metric", chart.metric);
    box.setAttribute("data-points", String(values.filter(function (v) { return v != null; }).length));
    box.setAttribute("data-runs", String(xs.length));
    box.setAttribute("data-failed", String(failed.filter(function (v) { return v != null; }).length));
    box.setAttribute("data-flagged", chart.flagged.map(function (i) { return doc.runs[i].id; }).join(" "));
    box.setAttribute("data-band", chart.band ? "yes" : "no");
    var caption = document.createElement("figcaption");
    caption.className = "chart-title";
    caption.textContent = chart.label + (chart.band ? bandCaption(chart.band) : "");
    box.appendChild(caption);
    holder.appendChild(box);
    var width = chartWidth();
    var axis = { stroke: color("--muted"), grid: { stroke: color("--line"), width: 1 },
                 ticks: { stroke: color("--line"), width: 1 } };
    plots.push(new uPlot({
      width: width,
      height: 200,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true, min: firstShown(xs), max: doc.until } },
      axes: [axis, Object.assign({ size: 60 }, axis)],
      series: series,
      bands: bands,
    }, data, box));
  }

  function firstShown(xs) {
    // The window's start, or a little before its first run when the runs begin later: a
    // pipeline created yesterday is not drawn as a sliver at the right of a 30-day axis.
    if (!xs.length) return doc.since;
    var pad = Math.max(60, (doc.until - xs[0]) * 0.03);
    return Math.max(doc.since, xs[0] - pad);
  }

  function chartWidth() { return Math.max(240, holder.clientWidth); }

  var plots = [];
  var pending = null;
  window.addEventListener("resize", function () {
    // Follow the window (a phone turned, a narrower window), once per burst of events.
    if (pending) window.clearTimeout(pending);
    pending = window.setTimeout(function () {
      plots.forEach(function (plot) { plot.setSize({ width: chartWidth(), height: 200 }); });
    }, 100);
  });

  function drawAll() {
    plots.forEach(function (plot) { plot.destroy(); });
    plots = [];
    holder.textContent = "";
    css = getComputedStyle(document.documentElement);
    doc.charts.forEach(draw);
    holder.setAttribute("data-drawn", String(doc.charts.length));
  }

  drawAll();
  // The theme follows the system setting: redraw in the other one's colours when it changes.
  var scheme = window.matchMedia("(prefers-color-scheme: dark)");
  if (scheme.addEventListener) scheme.addEventListener("change", drawAll);
})();
