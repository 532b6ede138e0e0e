"""How long the timeliness and freshness checks take, and how much memory they use.

    .venv/bin/python bench/monitoring_checks.py sqlite
    .venv/bin/python bench/monitoring_checks.py postgresql://postgres@127.0.0.1:5432/postgres

Seeds a throw-away database (a temporary SQLite file, or a new PostgreSQL database next to
the one named, dropped afterwards) with PIPELINES pipelines and EXECUTIONS executions, a tenth
of the pipelines with a run in progress, and a fixed number of findings (100 runs still going
past their deadline, 50 late finishes in the last hour, 100 stale pipelines) whatever the size.
Then runs each check twice (the first run logs and alerts the findings, the second finds them
again) and reports wall time, and the peak of Python allocations (tracemalloc) in a separate run.
Memory should not grow with the pipeline count, since candidates are streamed.
"""

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from watcher_server.db import Database, migrate
from watcher_server.db.url import parse_database_url
from watcher_server.monitoring import service
from watcher_server.monitoring.schemas import FreshnessReport, TimelinessReport

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
TYPES = 10


async def seed(db: Database, pipelines: int, executions: int, now: datetime = NOW) -> None:
    """Pipelines, types and executions in a few set-based statements, as of `now`.

    At least 100 pipelines: the findings are a fixed number of them whatever the size."""
    postgres = db.dialect == "postgresql"
    series = (
        "SELECT g AS n FROM generate_series(1, :count) AS g"
        if postgres
        else "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < :count) "
        "SELECT n FROM s"
    )
    # `at(m)`: :now minus m seconds.
    at = (
        (lambda m: f"(CAST(:now AS timestamptz) - make_interval(secs => {m}))")
        if postgres
        else (lambda m: f"datetime(:now, '-' || ({m}) || ' seconds')")
    )
    now = now if postgres else now.replace(tzinfo=None).isoformat(sep=" ")
    hour, day = ("'HOUR'::datepartenum", "'DAY'::datepartenum") if postgres else ("'HOUR'", "'DAY'")
    statements = [
        # Types: 2-hour timeliness and 1-day freshness; type 0 has both muted.
        f"""INSERT INTO pipeline_type (name, timeliness_number, timeliness_datepart,
            freshness_number, freshness_datepart, mute_timeliness_check, mute_freshness_check,
            created_at)
            SELECT 'type ' || n, 2, {hour}, 1, {day}, n = 1, n = 1, :now
            FROM ({series}) AS s""",
        # Pipelines: every other one has its own 1-hour / 12-hour thresholds. One in
        # pipelines/100 last loaded 3 days ago (stale); the others within the hour.
        f"""INSERT INTO pipeline (name, pipeline_type_id, timeliness_number, timeliness_datepart,
            freshness_number, freshness_datepart, last_target_insert, created_at)
            SELECT 'pipeline ' || n, 2 + n % {TYPES - 1},
                   CASE WHEN n % 2 = 0 THEN 1 END, CASE WHEN n % 2 = 0 THEN {hour} END,
                   CASE WHEN n % 2 = 0 THEN 12 END, CASE WHEN n % 2 = 0 THEN {hour} END,
                   CASE WHEN n % (:pipelines / 100) = 0 THEN {at("3 * 86400")}
                        ELSE {at("60 * (n % 60)")} END,
                   {at("365 * 86400")}
            FROM ({series}) AS s""",
        # History: every pipeline runs hourly for 20 minutes, going back in time; the last
        # hour alone holds one finished run per pipeline.
        f"""INSERT INTO pipeline_execution (pipeline_id, start_date, end_date, date_recorded,
            hour_recorded, duration_seconds, completed_successfully, inserts, total_rows)
            SELECT 1 + n % :pipelines, {at("n * 3600.0 / :pipelines + 1260")},
                   {at("n * 3600.0 / :pipelines + 60")}, '2026-01-01', 0, 1200, true, 10, 10
            FROM ({series}) AS s""",
    ]
    async with db.transaction() as conn:
        await conn.execute(text(statements[0]), {"count": TYPES, "now": now})
        await conn.execute(
            text(statements[1]), {"count": pipelines, "now": now, "pipelines": pipelines}
        )
        await conn.execute(
            text(statements[2]), {"count": executions, "now": now, "pipelines": pipelines}
        )
        await _seed_findings(conn, pipelines, at, now, postgres)
    if postgres:
        async with db.engine.connect() as conn:
            await (await conn.execution_options(isolation_level="AUTOCOMMIT")).execute(
                text("VACUUM ANALYZE")
            )
    else:
        async with db.transaction() as conn:
            await conn.execute(text("ANALYZE"))


async def _seed_findings(conn, pipelines: int, at, now, postgres: bool) -> None:
    """Runs in progress on a tenth of the pipelines (100 of them hung for 5 days), and 50 runs
    that finished in the last hour after 3 hours."""
    running = f"""INSERT INTO pipeline_execution (pipeline_id, start_date, date_recorded,
        hour_recorded) SELECT id, CASE WHEN id % (:pipelines / 100) = 1 THEN {at("5 * 86400")}
        ELSE {at("600")} END, '2026-01-01', 0 FROM pipeline WHERE id % 10 = 1"""
    late = f"""INSERT INTO pipeline_execution (pipeline_id, start_date, end_date, date_recorded,
        hour_recorded, duration_seconds, completed_successfully)
        SELECT id, {at("12000")}, {at("1200")}, '2026-01-01', 0, 10800, true
        FROM pipeline WHERE id % (:pipelines / 50) = 3"""
    await conn.execute(text(running), {"pipelines": pipelines, "now": now})
    await conn.execute(text(late), {"pipelines": pipelines, "now": now})


async def timed(run: Callable[[], Awaitable[object]]) -> tuple[float, object]:
    started = time.perf_counter()
    result = await run()
    return time.perf_counter() - started, result


async def traced(run: Callable[[], Awaitable[object]]) -> float:
    """Peak MiB of Python allocations during one run (tracing slows it: not timed)."""
    tracemalloc.start()
    await run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


async def bench(url: str, pipelines: int, executions: int, repeats: int) -> dict[str, object]:
    db = Database(url)
    try:
        started = time.perf_counter()
        await seed(db, pipelines, executions)
        seeded = time.perf_counter() - started
        rows = {}
        for name, run in (
            ("timeliness", lambda: service.check_timeliness(db, NOW, 60)),
            ("freshness", lambda: service.check_freshness(db, NOW)),
        ):
            first, report = await timed(run)
            again = [(await timed(run))[0] for _ in range(repeats)]
            rows[name] = {
                "first_s": first,
                "found": _found(report),
                "again_s": statistics.median(again),
                "mib": await traced(run),
            }
        return {"seed_s": seeded, **rows}
    finally:
        await db.dispose()


def _found(report: object) -> str:
    if isinstance(report, TimelinessReport):
        return f"{report.overdue_count} overdue, {report.new_count} new"
    assert isinstance(report, FreshnessReport)
    return f"{report.stale_count} stale, {report.new_count} new"


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


def run_once(target: str, pipelines: int, executions: int, repeats: int) -> dict[str, object]:
    if target == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            url = f"sqlite:///{Path(directory) / 'bench.db'}"
            migrate.upgrade(url)
            return asyncio.run(bench(url, pipelines, executions, repeats))
    server = parse_database_url(target)
    admin = server.render_as_string(hide_password=False)
    name = f"watcher_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(admin, f'CREATE DATABASE "{name}"'))
    try:
        url = server.set(database=name).render_as_string(hide_password=False)
        migrate.upgrade(url)
        return asyncio.run(bench(url, pipelines, executions, repeats))
    finally:
        asyncio.run(_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", help="sqlite, or a PostgreSQL server URL")
    parser.add_argument(
        "--sizes", default="1000:100000,10000:1000000", help="pipelines:executions,…"
    )
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(
        f"| {args.target.split(':')[0]} | pipelines | executions | check | first run "
        "(logs + alerts) | found | again (median) | peak MiB |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for size in args.sizes.split(","):
        pipelines, executions = (int(part) for part in size.split(":"))
        result = run_once(args.target, pipelines, executions, args.repeats)
        for check in ("timeliness", "freshness"):
            row = result[check]
            print(
                f"| | {pipelines:,} | {executions:,} | {check} | {row['first_s'] * 1000:.0f} ms "
                f"| {row['found']} | {row['again_s'] * 1000:.0f} ms | {row['mib']:.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    sys.exit(main())
