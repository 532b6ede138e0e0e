"""The lineage explorer in headless Chromium: layout time of a large graph, and frame times
while panning and zooming it.

    .venv/bin/python -m bench.lineage_explorer                 # 2,000 addresses, 5 loads
    .venv/bin/python -m bench.lineage_explorer --smoke         # 200 addresses, 1 load

Declares, through the HTTP API (in process) on a throw-away SQLite database, a layered graph:
a start address feeding the first layer, then layers of about 200 addresses, each group of 10
written by one pipeline reading 2 addresses of the layer before (about 1.8 edges per
address, one pipeline on each). Watcher is then served for real and Debian's Chromium opens
`/ui/lineage?address_id=<start>&direction=downstream&depth=all`, the whole graph, and reports:

- layout: dagre's layered layout of the graph (the page's `data-layout-ms`), median and
  worst of the loads;
- drawn: from lineage.js starting to Cytoscape's first frame of the laid-out graph (parsing,
  the elements and their styles, the layout, the first render: `data-drawn-ms`);
- page: from navigation to the graph drawn (the server's answer, the HTML, the scripts);
- frames while panning and zooming (60 animation frames, each moving the view): median and
  longest frame interval.

Target (issue 15): 2,000 addresses laid out in <= 2 s, then pan and zoom without stalls.
"""

import argparse
import asyncio
import os
import statistics
import time

import httpx

from bench.harness import databases, servers
from bench.harness.chromium import CHROMIUM, CHROMIUM_ARGS
from watcher_server.app import create_app
from watcher_server.settings import Settings

LAYER = 200
GROUP = 10  # addresses written by one pipeline
SOURCES = 2  # addresses of the layer before that it reads
TARGET_MS = 2_000.0
PAN_AND_ZOOM = """() => new Promise(done => {
    const cy = window.lineageGraph, gaps = [];
    let last = performance.now(), frame = 0;
    function step(now) {
        gaps.push(now - last); last = now;
        if (frame % 2) cy.panBy({x: 25, y: 10}); else cy.zoom({level: cy.zoom() * 1.03,
            renderedPosition: {x: 300, y: 300}});
        if (++frame < 60) requestAnimationFrame(step); else done(gaps.slice(1));
    }
    requestAnimationFrame(step);
})"""


def address(name: str) -> dict[str, str]:
    return {"name": name, "address_type_name": "table", "address_type_group_name": "database"}


async def declare_graph(url: str, nodes: int) -> int:
    """Declare the layered graph of `nodes` addresses; answers the start address's id."""
    settings = Settings(_env_file=None, database_url=url, watcher_background_jobs=False)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            start = (await client.post("/address", json=address("bench.start"))).json()["id"]
            layers, left, before = [], nodes - 1, ["bench.start"]
            while left > 0:
                layers.append([f"bench.l{len(layers)}.t{i}" for i in range(min(LAYER, left))])
                left -= len(layers[-1])
            for number, layer in enumerate(layers):
                for first in range(0, len(layer), GROUP):
                    sources = [before[(first + k * 7) % len(before)] for k in range(SOURCES)]
                    targets = layer[first : first + GROUP]
                    await declare(client, f"bench_l{number}_g{first}", sources, targets)
                before = layer
    return start


async def declare(
    client: httpx.AsyncClient, pipeline: str, sources: list[str], targets: list[str]
) -> None:
    body = {"name": pipeline, "pipeline_type_name": "bench", "load_lineage": True}
    pipeline_id = (await client.post("/pipeline", json=body)).json()["id"]
    lineage = {
        "pipeline_id": pipeline_id,
        "source_addresses": [address(name) for name in sorted(set(sources))],
        "target_addresses": [address(name) for name in targets],
    }
    response = await client.post("/address_lineage", json=lineage)
    assert response.status_code == 201, response.text


def measure(
    url: str, start: int, loads: int, screenshot: str | None = None
) -> dict[str, list[float]]:
    """Layout and page times of each load, and the frame intervals of the last one."""
    from playwright.sync_api import sync_playwright

    results: dict[str, list[float]] = {
        "layout": [],
        "drawn": [],
        "page": [],
        "frames": [],
        "nodes": [],
    }
    path = f"/ui/lineage?address_id={start}&direction=downstream&depth=all"
    with (
        servers.watcher(url, {"WATCHER_BACKGROUND_JOBS": "false"}) as server,
        sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for _ in range(loads):
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            started = time.perf_counter()
            page.goto(server.url + path)
            graph = page.locator("#graph[data-drawn]")
            graph.wait_for(state="attached", timeout=60_000)
            results["page"].append((time.perf_counter() - started) * 1000)
            results["layout"].append(float(graph.get_attribute("data-layout-ms") or "nan"))
            results["drawn"].append(float(graph.get_attribute("data-drawn-ms") or "nan"))
            results["nodes"].append(float(graph.get_attribute("data-nodes") or "0"))
            if screenshot:
                page.screenshot(path=screenshot)
            results["frames"] = page.evaluate(PAN_AND_ZOOM)
            page.close()
        browser.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=2_000)
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="200 addresses, one load")
    parser.add_argument("--screenshot", help="save the drawn page as this PNG")
    args = parser.parse_args()
    nodes, loads = (200, 1) if args.smoke else (args.nodes, args.loads)
    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is missing (apt-get install chromium)")
    with databases.sqlite("lineage-explorer") as url:
        started = time.perf_counter()
        start = asyncio.run(declare_graph(url, nodes))
        print(f"declared {nodes:,} addresses in {time.perf_counter() - started:.0f} s")
        results = measure(url, start, loads, args.screenshot)
    drawn = {int(n) for n in results["nodes"]}
    assert drawn == {nodes}, f"drew {drawn} addresses, not {nodes}"
    layout, drawn_ms, page = results["layout"], results["drawn"], results["page"]
    frames = results["frames"]
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"\n{nodes:,} addresses, {loads} loads, load average {load}")
    print("\n| measure | median ms | worst ms |")
    print("|---|---:|---:|")
    target = f"layout (target <= {TARGET_MS:,.0f})"
    print(f"| {target} | {statistics.median(layout):.0f} | {max(layout):.0f} |")
    print(
        f"| script start to first frame | {statistics.median(drawn_ms):.0f} | {max(drawn_ms):.0f} |"
    )
    print(f"| page load to graph drawn | {statistics.median(page):.0f} | {max(page):.0f} |")
    print(
        f"| frame while panning and zooming | {statistics.median(frames):.0f} | {max(frames):.0f} |"
    )


if __name__ == "__main__":
    main()
