"""The daily report's cost at scale, and the end of a run that keeps its totals.

    .venv/bin/python -m bench.report               # PostgreSQL: 10,000 pipelines, 1,000,000 runs
    .venv/bin/python -m bench.report --target sqlite
    .venv/bin/python -m bench.report --smoke       # a tiny run that checks the script works

Seeds a throw-away database with runs spread evenly over the last 30 UTC days (one in twenty
failed), fills the daily totals from them with the statement the ends and the cleanup use,
then requests the report in-process through the ASGI app (routing, SQL, serialisation; no
network) and reports p50 and p95 in milliseconds. Then ends fresh runs one after another
through the API: what an end costs with its totals upsert, on the full table.

Target from issue 15: p95 <= 300 ms at 10,000 pipelines, 1,000,000 runs, 30 days, PostgreSQL.
"""

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import text

from bench.console import database, percentile
from watcher_server.app import create_app
from watcher_server.db import Database
from watcher_server.models import PipelineExecution
from watcher_server.reports.repository import add_runs_statement
from watcher_server.settings import Settings

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
DAYS = 30
TYPES = 10
REQUESTS = {
    "30 days, every pipeline, first 50 rows": "/report/daily?limit=50",
    "sorted by error rate": "/report/daily?limit=50&sort=-error_rate",
    "sorted by pipeline name": "/report/daily?limit=50&sort=pipeline_name",
    "one type (1/10 of pipelines)": "/report/daily?limit=50&pipeline_type_id=3",
    "one pipeline": "/report/daily?pipeline_id=42",
    "page 100 of 50 rows": "/report/daily?limit=50&offset=4950",
    "1,000 rows (the default limit)": "/report/daily",
    "1,000 rows as CSV": "/report/daily?format=csv",
    "7 days, every pipeline": "/report/daily?limit=50&days=7",
}


def _series(postgres: bool) -> str:
    if postgres:
        return "SELECT g AS n FROM generate_series(1, :count) AS g"
    return (
        "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < :count) "
        "SELECT n FROM s"
    )


def _statements(postgres: bool) -> list[str]:
    series = _series(postgres)
    # Run n started n * (30 days / runs) seconds before :now, and lasted 60 + n % 600 seconds.
    if postgres:
        start = "(CAST(:now AS timestamptz) - make_interval(secs => n * :spacing))"
        end = f"({start} + make_interval(secs => 60 + n % 600))"
        day = f"CAST({start} AT TIME ZONE 'UTC' AS date)"
        hour = f"CAST(extract(hour FROM {start} AT TIME ZONE 'UTC') AS integer)"
    else:
        start = "datetime(:now, '-' || (n * :spacing) || ' seconds')"
        end = f"datetime({start}, '+' || (60 + n % 600) || ' seconds')"
        day, hour = f"date({start})", f"CAST(strftime('%H', {start}) AS integer)"
    return [
        f"INSERT INTO pipeline_type (name, created_at) SELECT 'type ' || n, :now FROM ({series}) s",
        f"""INSERT INTO pipeline (name, pipeline_type_id, created_at)
            SELECT 'pipeline ' || n, 1 + n % {TYPES}, :now FROM ({series}) s""",
        f"""INSERT INTO pipeline_execution (pipeline_id, start_date, end_date, date_recorded,
            hour_recorded, duration_seconds, completed_successfully, inserts, updates,
            soft_deletes, total_rows, throughput)
            SELECT 1 + n % :pipelines, {start}, {end}, {day}, {hour}, 60 + n % 600,
                   n % 20 <> 0, n % 100, n % 7, n % 3, n % 100 + n % 7, (n % 100) / 60.0
            FROM ({series}) s""",
    ]


async def seed(url: str, pipelines: int, runs: int) -> None:
    """Types, pipelines and ended runs over the last 30 days, then their daily totals."""
    db = Database(url)
    try:
        await _seed(db, pipelines, runs)
    finally:
        await db.dispose()


async def _seed(db: Database, pipelines: int, runs: int) -> None:
    postgres = db.dialect == "postgresql"
    now = NOW if postgres else NOW.replace(tzinfo=None).isoformat(sep=" ")
    spacing = DAYS * 86400 / runs
    types, pipeline_rows, history = _statements(postgres)
    async with db.transaction() as conn:
        await conn.execute(text(types), {"count": TYPES, "now": now})
        await conn.execute(text(pipeline_rows), {"count": pipelines, "now": now})
        parameters = {"count": runs, "now": now, "spacing": spacing, "pipelines": pipelines}
        await conn.execute(text(history), parameters)
        await conn.execute(add_runs_statement(db.dialect, PipelineExecution.__table__))
    async with db.engine.connect() as conn:
        if postgres:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE"))
        else:
            await conn.execute(text("ANALYZE"))
            await conn.commit()


async def _timed(client: httpx.AsyncClient, method: str, path: str, **kwargs) -> float:
    started = time.perf_counter()
    response = await client.request(method, path, **kwargs)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code in (200, 201, 204), (path, response.status_code, response.text)
    return elapsed


async def measure(url: str, repeats: int, ends: int) -> dict[str, list[float]]:
    settings = Settings(_env_file=None, database_url=url, watcher_background_jobs=False)
    app = create_app(settings, clock=lambda: NOW)
    times: dict[str, list[float]] = {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for name, path in REQUESTS.items():
                for _ in range(2):  # warm-up: statement caches, buffers
                    await _timed(client, "GET", path)
                times[name] = [await _timed(client, "GET", path) for _ in range(repeats)]
            times["end of a run (its totals upserted)"] = await _ends(client, ends)
    return times


async def _ends(client: httpx.AsyncClient, count: int) -> list[float]:
    """Start `count` runs today, then time their ends one by one."""
    started = NOW - timedelta(minutes=5)
    run_ids = []
    for n in range(count):
        body = {"pipeline_id": 1 + n % 100, "start_date": started.isoformat()}
        response = await client.post("/start_pipeline_execution", json=body)
        run_ids.append(response.json()["id"])
    body = {"end_date": NOW.isoformat(), "inserts": 5, "total_rows": 5}
    return [
        await _timed(client, "POST", "/end_pipeline_execution", json={"id": run_id, **body})
        for run_id in run_ids
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="postgresql", help="postgresql, a server URL, sqlite")
    parser.add_argument("--pipelines", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--ends", type=int, default=300)
    parser.add_argument("--smoke", action="store_true", help="100 pipelines, 3,000 runs")
    args = parser.parse_args()
    if args.smoke:
        args.pipelines, args.runs, args.repeats, args.ends = 100, 3000, 3, 10
    with database(args.target, "report") as url:
        started = time.perf_counter()
        asyncio.run(seed(url, args.pipelines, args.runs))
        print(
            f"seeded {args.pipelines:,} pipelines, {args.runs:,} runs over {DAYS} days "
            f"in {time.perf_counter() - started:.0f} s ({args.target})"
        )
        times = asyncio.run(measure(url, args.repeats, args.ends))
    print("\n| request | p50 ms | p95 ms |")
    print("|---|---:|---:|")
    for name, samples in times.items():
        print(f"| {name} | {statistics.median(samples):.1f} | {percentile(samples, 0.95):.1f} |")


if __name__ == "__main__":
    main()
