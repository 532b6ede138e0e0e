// Draws the daily report's runs per day with uPlot: runs and failed runs over every row of
// the report (not only the page). The data is in the page (a JSON script element); the chart
// records what it drew in data-* attributes, which the browser tests read.
(function () {
  "use strict";
  var holder = document.getElementById("day-chart");
  var source = document.getElementById("day-chart-data");
  if (!holder || !source || !window.uPlot) return;
  var days = JSON.parse(source.textContent);
  var plot = null;

  function draw() {
    if (plot) plot.destroy();
    var css = getComputedStyle(document.documentElement);
    function color(name) { return css.getPropertyValue(name).trim(); }
    // Each day at its UTC midnight, in seconds as uPlot's time scale counts.
    var xs = days.map(function (d) { return Date.parse(d.day + "T00:00:00Z") / 1000; });
    var axis = { stroke: color("--muted"), grid: { stroke: color("--line"), width: 1 },
                 ticks: { stroke: color("--line"), width: 1 } };
    plot = new uPlot({
      width: Math.max(240, holder.clientWidth),
      height: 180,
      cursor: { drag: { x: false, y: false } },
      scales: {
        // Half a day of room on each side, so that the first and last days are not on the edge.
        x: { time: true, range: function (u, min, max) { return [min - 43200, max + 43200]; } },
        y: { range: function (u, min, max) { return [0, Math.max(1, max)]; } },
      },
      // Ticks on whole days (or weeks, months), labelled as the table's days are.
      axes: [Object.assign({ incrs: [86400, 7 * 86400, 30 * 86400], values: "{YYYY}-{MM}-{DD}" }, axis),
             Object.assign({ size: 60 }, axis)],
      series: [
        {},
        { label: "runs", stroke: color("--running"), width: 1.5, points: { show: true, size: 6 } },
        { label: "failed", stroke: color("--failed"), width: 1.5, points: { show: true, size: 6 } },
      ],
    }, [xs, days.map(function (d) { return d.runs; }), days.map(function (d) { return d.failed; })],
    holder);
    holder.setAttribute("data-days", String(days.length));
    holder.setAttribute("data-runs", String(days.reduce(function (n, d) { return n + d.runs; }, 0)));
    holder.setAttribute("data-failed", String(days.reduce(function (n, d) { return n + d.failed; }, 0)));
  }

  draw();
  var pending = null;
  window.addEventListener("resize", function () {
    if (pending) window.clearTimeout(pending);
    pending = window.setTimeout(draw, 100);
  });
  window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", draw);
})();
