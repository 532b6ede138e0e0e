"""What the web console's pages cost the server, on a large history.

    .venv/bin/python -m bench.console                       # PostgreSQL, 10,000 pipelines
    .venv/bin/python -m bench.console --pipelines 1000 --executions 100000 --target sqlite
    .venv/bin/python -m bench.console --fcp                 # also first contentful paint

Seeds a throw-away database with bench.monitoring_checks' data set (pipelines in every state:
running, hung past their deadline, late, stale; runs going back in time), then requests each
page in-process through the ASGI app (the server's own time: routing, SQL, rendering; no
network) and reports p50 and p95 in milliseconds. With --fcp, Watcher is served for real and
headless Chromium (Debian's, at /usr/bin/chromium) measures each page's first contentful
paint. Also reports the JavaScript and CSS each page loads, gzip-compressed.

Targets from issue 14: server time p95 <= 200 ms for the overview and <= 150 ms for the other
pages at 10,000 pipelines and 1,000,000 runs on PostgreSQL; first contentful paint <= 1 s;
JavaScript + CSS <= 300 KB compressed per page.
"""

import argparse
import asyncio
import gzip
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from bench.harness import databases, servers
from bench.harness.chromium import CHROMIUM, CHROMIUM_ARGS
from bench.monitoring_checks import NOW, seed
from watcher_server.app import create_app
from watcher_server.db import Database
from watcher_server.settings import Settings
from watcher_server.ui.templating import PACKAGE

STATIC = PACKAGE / "static"
PAGES = {
    "overview": "/ui",
    "overview, refresh": "/ui",  # the live part alone, every 5 s per open page
    "overview, stale only": "/ui?status=stale",
    "overview, page 100": "/ui?page=100",
    "overview, name filter": "/ui?q=pipeline%2012",
    "pipeline": "/ui/pipelines/1",
    "pipeline, 365 days": "/ui/pipelines/2?days=365",
    "run": "/ui/runs/1",
    "alerts": "/ui/alerts",
    "diagnostics": "/ui/diagnostics",
}
ASSETS = {
    "overview": ["console.css", "console.js"],
    "pipeline": [
        "console.css",
        "chart.js",
        "vendor/uplot-1.6.32/uPlot.iife.min.js",
        "vendor/uplot-1.6.32/uPlot.min.css",
    ],
    "other pages": ["console.css"],
}


def compressed_kb(names: list[str]) -> float:
    return sum(len(gzip.compress((STATIC / name).read_bytes(), 9)) for name in names) / 1000


async def server_times(url: str, repeats: int) -> dict[str, list[float]]:
    settings = Settings(_env_file=None, database_url=url, watcher_background_jobs=False)
    app = create_app(settings, clock=lambda: NOW)
    times: dict[str, list[float]] = {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for name, path in PAGES.items():
                headers = {"x-console-fragment": "live"} if "refresh" in name else {}
                for _ in range(2):  # warm-up: statement caches, templates
                    response = await client.get(path, headers=headers)
                    assert response.status_code == 200, (path, response.status_code)
                samples = []
                for _ in range(repeats):
                    started = time.perf_counter()
                    response = await client.get(path, headers=headers)
                    samples.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200
                times[name] = samples
    return times


def first_paints(url: str, repeats: int) -> dict[str, float]:
    """Median first contentful paint (ms) of each page, served by `watcher serve`."""
    from playwright.sync_api import sync_playwright

    paints = {}
    server = servers.watcher(url, {"WATCHER_BACKGROUND_JOBS": "false"})
    with server as running, sync_playwright() as p:
        base = running.url
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for name in ("overview", "pipeline", "run", "alerts", "diagnostics"):
            samples = []
            for _ in range(repeats):
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.goto(base + PAGES[name])
                samples.append(
                    page.evaluate(
                        """() => new Promise(done => new PerformanceObserver((list, observer) => {
                            const paint = list.getEntriesByName('first-contentful-paint')[0];
                            if (paint) { observer.disconnect(); done(paint.startTime); }
                        }).observe({type: 'paint', buffered: true}))"""
                    )
                )
                page.close()
            paints[name] = statistics.median(samples)
        browser.close()
    return paints


@contextmanager
def database(target: str, label: str = "console") -> Iterator[str]:
    """A throw-away migrated database: `target` is postgresql, a server URL, or sqlite."""
    if target == "sqlite":
        with databases.sqlite(label) as url:
            yield url
    else:
        with databases.postgres(label, None if target == "postgresql" else target) as url:
            yield url


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--target", default="postgresql", help="postgresql, a server URL, or sqlite"
    )
    parser.add_argument("--pipelines", type=int, default=10_000)
    parser.add_argument("--executions", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--fcp", action="store_true", help="also measure first contentful paint")
    args = parser.parse_args()
    with database(args.target) as url:
        started = time.perf_counter()
        db = Database(url)

        async def seeded() -> None:
            try:
                await seed(db, args.pipelines, args.executions)
            finally:
                await db.dispose()

        asyncio.run(seeded())
        print(
            f"seeded {args.pipelines:,} pipelines, {args.executions:,} runs "
            f"in {time.perf_counter() - started:.0f} s ({args.target})"
        )
        times = asyncio.run(server_times(url, args.repeats))
        paints = first_paints(url, 5) if args.fcp and CHROMIUM.exists() else {}
    print("\n| page | server p50 ms | server p95 ms | first contentful paint ms |")
    print("|---|---:|---:|---:|")
    for name, samples in times.items():
        paint = paints.get(name)
        print(
            f"| {name} | {statistics.median(samples):.1f} | {percentile(samples, 0.95):.1f} | "
            f"{'' if paint is None else f'{paint:.0f}'} |"
        )
    print("\n| page kind | JavaScript + CSS, gzip KB |")
    print("|---|---:|")
    for kind, names in ASSETS.items():
        print(f"| {kind} | {compressed_kb(names):.1f} |")


if __name__ == "__main__":
    main()
