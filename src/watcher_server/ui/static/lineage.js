// The lineage explorer: searches addresses as you type, and draws the page's graph with
// Cytoscape.js, laid out in layers by dagre, sources on the left. Each address is coloured and
// labelled by the health of what writes it; clicking one re-centres the page on it (a link,
// so the URL stays the state). The graph element records what it drew and how long dagre's
// layout and the whole drawing took in data-* attributes, which the browser tests and
// bench/lineage_explorer.py read.
(function () {
  "use strict";
  var css = getComputedStyle(document.documentElement);
  function color(name) { return css.getPropertyValue("--" + name).trim(); }

  // --- search as you type ----------------------------------------------------------------
  var input = document.getElementById("search-name");
  var results = document.getElementById("search-results");
  var searchStatus = document.getElementById("search-status");
  var timer = null, asked = 0;

  function showMatches(matches) {
    results.textContent = "";
    matches.forEach(function (match) {
      var item = document.createElement("li"), link = document.createElement("a");
      link.href = "/ui/lineage?address_id=" + match.id;
      link.textContent = match.name;
      var kind = document.createElement("span");
      kind.className = "muted small";
      kind.textContent = " " + match.type;
      item.append(link, kind);
      results.append(item);
    });
    searchStatus.textContent = matches.length + (matches.length === 1 ? " address" : " addresses") + " found";
  }

  function search() {
    var text = input.value.trim(), ticket = ++asked;
    if (!text) { results.textContent = ""; searchStatus.textContent = ""; return; }
    fetch("/ui/lineage/addresses?q=" + encodeURIComponent(text), { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (matches) { if (ticket === asked) showMatches(matches); })
      .catch(function () { searchStatus.textContent = "Search failed; press Search to try again."; });
  }

  if (input && results && window.fetch) {
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(search, 200);
    });
  }

  // --- the graph ---------------------------------------------------------------------------
  var holder = document.getElementById("graph");
  var source = holder && document.getElementById(holder.getAttribute("data-source"));
  if (!holder || !source || !window.cytoscape || !window.dagre) return;
  var doc = JSON.parse(source.textContent);
  var started = performance.now();

  var NODE_WIDTH = 190, NODE_HEIGHT = 46;
  // Statuses coloured like the console's badges; the others are neutral.
  var COLOURED = ["failed", "overdue", "stale", "anomaly", "running", "healthy"];
  function slug(status) { return status.replace(/ /g, "-"); }
  function pipelinesLabel(pipelines) {
    var names = pipelines.map(function (p) { return p.name; });
    return names.length > 2 ? names.slice(0, 2).join(", ") + " +" + (names.length - 2) : names.join(", ");
  }

  var elements = doc.nodes.map(function (node) {
    var away = node.distance === 0 ? "" : doc.impact ? "+" + node.distance + " · " : "";
    return {
      group: "nodes",
      data: {
        id: "a" + node.id,
        label: node.name + "\n" + node.type + " · " + away + node.status,
        link: node.link,
      },
      classes: [
        "health-" + slug(node.status),
        node.distance === 0 ? "start" : "",
        doc.impact && node.distance > 0 ? "impacted" : "",
      ].join(" "),
    };
  });
  doc.edges.forEach(function (edge) {
    elements.push({
      group: "edges",
      data: {
        id: "e" + edge.source + "-" + edge.target,
        source: "a" + edge.source,
        target: "a" + edge.target,
        label: pipelinesLabel(edge.pipelines),
        pipeline: edge.pipelines.length === 1 ? edge.pipelines[0].id : null,
      },
    });
  });

  function styles() {
    var style = [
      {
        selector: "node",
        style: {
          shape: "round-rectangle",
          width: NODE_WIDTH,
          height: NODE_HEIGHT,
          label: "data(label)",
          "text-wrap": "wrap",
          "text-max-width": 180,
          "text-valign": "center",
          "font-size": 12,
          color: color("text"),
          "background-color": color("neutral-bg"),
          "border-width": 2,
          "border-color": color("neutral"),
          "min-zoomed-font-size": 7,
        },
      },
      { selector: "node.start", style: { "border-width": 4, "font-weight": "bold" } },
      { selector: "node.impacted", style: { "border-style": "double", "border-width": 6 } },
      {
        selector: "edge",
        style: {
          width: 1.5,
          "curve-style": "bezier",
          "target-arrow-shape": "triangle",
          "line-color": color("muted"),
          "target-arrow-color": color("muted"),
          label: "data(label)",
          "font-size": 10,
          color: color("link"),
          "text-background-color": color("panel"),
          "text-background-opacity": 1,
          "text-background-padding": 2,
          "min-zoomed-font-size": 8,
        },
      },
    ];
    COLOURED.forEach(function (status) {
      style.push({
        selector: "node.health-" + status,
        style: { "background-color": color(status + "-bg"), "border-color": color(status) },
      });
    });
    return style;
  }

  function layered(doc) {
    // dagre's layered layout, left to right. Called directly rather than through the
    // cytoscape-dagre adapter, whose compound graph made 2,000 addresses take twice as long.
    var graph = new dagre.graphlib.Graph();
    graph.setGraph({
      rankdir: "LR",
      nodesep: 14,
      ranksep: 150, // room for the pipelines' names on the edges
      // network-simplex ranks best but grows fast with size; tight-tree keeps 2,000
      // addresses within the 2 s budget (see docs/benchmarks.md).
      ranker: large ? "tight-tree" : "network-simplex",
    });
    graph.setDefaultEdgeLabel(function () { return {}; });
    doc.nodes.forEach(function (node) {
      graph.setNode("a" + node.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
    });
    doc.edges.forEach(function (edge) { graph.setEdge("a" + edge.source, "a" + edge.target); });
    dagre.layout(graph);
    return function (node) {
      var placed = graph.node(node.id());
      return { x: placed.x, y: placed.y };
    };
  }

  var large = doc.nodes.length > 300;
  var cy = cytoscape({
    container: holder,
    elements: elements,
    style: styles(),
    minZoom: 0.05,
    maxZoom: 2.5,
    // A large graph pans and zooms as a bitmap and redraws when still, without stalls.
    textureOnViewport: large,
    hideEdgesOnViewport: large,
    boxSelectionEnabled: false,
    autoungrabify: true,
  });
  var laidOut = performance.now();
  var positions = layered(doc);
  holder.setAttribute("data-layout-ms", String(Math.round(performance.now() - laidOut)));
  cy.one("render", function () {
    holder.setAttribute("data-drawn-ms", String(Math.round(performance.now() - started)));
    holder.setAttribute("data-nodes", String(cy.nodes().length));
    holder.setAttribute("data-edges", String(cy.edges().length));
    holder.setAttribute("data-drawn", "yes");
  });
  cy.layout({ name: "preset", positions: positions, fit: true, padding: 20 }).run();

  // The colours follow the system's light or dark theme, also when it changes.
  window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", function () {
    cy.style(styles());
  });
  cy.on("tap", "node", function (event) { window.location.href = event.target.data("link"); });
  cy.on("tap", "edge", function (event) {
    var pipeline = event.target.data("pipeline");
    if (pipeline) window.location.href = "/ui/pipelines/" + pipeline;
  });
  window.lineageGraph = cy; // for the browser tests
})();
