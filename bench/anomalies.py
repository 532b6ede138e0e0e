"""Anomaly detection's cost with 1,000,000 executions stored and six rules per pipeline.

Two figures, on PostgreSQL:

* **DB time per successful end.** In-process, on the loaded table: the end call's extra
  statement (queueing the run; also with no active rule, the path of pipelines without
  rules), the server-side execution time of the baseline query (EXPLAIN ANALYZE, all six
  metrics), and the wall time of a whole detection of one run (every statement, with the
  round trips and Python around them). Each sample is rolled back, so nothing changes.
* **Lifecycle throughput with detection on vs off**, on one Watcher server running its jobs:
  "off" deactivates every rule (ends queue nothing), "on" activates six per pipeline (every
  end queues its run and the job tests it in the same process). Under saturating load the
  job gets a fair share of the event loop, not priority, so it falls behind; after each "on"
  cell the queue left is drained (so that "off" never pays for "on") and the same run is
  also counted until its last run was tested: the rate the server sustains with detection
  keeping up. Then the lag below saturation (c=2): what is left queued when load stops.

The history's runs are shaped like the ones the load makes (bench.harness.data, runs=
"lifecycle"), so that a tested run is usually normal, as in production; the report says how
many were flagged.

Run alone with `python -m bench.anomalies [--anomaly-executions N]`.
"""

import asyncio
import dataclasses
import random
import re
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
from sqlalchemy import text

from bench.harness import Cell, Context, Dataset, Measurement, Record, Target, data, main, workloads
from bench.harness.servers import Server
from watcher_server.anomalies import repository as repo
from watcher_server.anomalies.jobs import BATCH_SIZE
from watcher_server.anomalies.service import (
    MAX_BASELINE_EXECUTIONS,
    detect_execution,
    detect_executions,
)
from watcher_server.anomalies.windows import baseline_window
from watcher_server.db import Database
from watcher_server.models import Seasonality

SAMPLES = 300
MAX_DB_MS = 1.0
MIN_RATIO = 0.85
DRAIN_TIMEOUT_SECONDS = 120
JOBS_ENV = {
    # Only the jobs this scenario is about: no scheduled check fires during a cell.
    "WATCHER_TIMELINESS_CHECK_SCHEDULE": "",
    "WATCHER_FRESHNESS_CHECK_SCHEDULE": "",
}


def add_arguments(parser: Any) -> None:
    parser.add_argument(
        "--anomaly-executions",
        type=int,
        default=1_000_000,
        help="anomalies: executions of history (default 1,000,000; smoke 5,000)",
    )


def run(ctx: Context) -> None:
    executions = 5_000 if ctx.options.smoke else ctx.options.extra.anomaly_executions
    # A history like the runs the load makes: against one of 1 s to 1 h runs, every run of
    # the load (a few milliseconds) would be an anomaly of throughput, and the scenario would
    # measure an alert per run rather than detection.
    dataset = Dataset(ctx.options.pipelines, executions, runs="lifecycle")
    with ctx.postgres("anomalies") as url:
        data.load(url, dataset)
        asyncio.run(_add_rules(url))
        samples = 20 if ctx.options.smoke else SAMPLES
        ctx.record(asyncio.run(_db_time(url, dataset, samples)))
        with ctx.watcher(url, env=JOBS_ENV) as watcher:
            _lifecycle(ctx, watcher, url, dataset)


async def _add_rules(url: str) -> None:
    """Six rules per pipeline, with the default settings, inactive until a cell needs them."""
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(
            """INSERT INTO anomaly_detection_rule (pipeline_id, metric_field, z_threshold,
                   lookback_days, minimum_executions, seasonality, active, created_at)
               SELECT p.id, m.metric::anomalymetricfieldenum, 3, 30, 7, 'none', false, now()
               FROM pipeline AS p, unnest(enum_range(NULL::anomalymetricfieldenum)) AS m(metric)"""
        )
        await connection.execute("VACUUM ANALYZE anomaly_detection_rule")
    finally:
        await connection.close()


async def _set_rules_active(url: str, active: bool) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("UPDATE anomaly_detection_rule SET active = $1", active)
    finally:
        await connection.close()


# --- DB time per end --------------------------------------------------------------------------


async def _db_time(url: str, dataset: Dataset, samples: int) -> Record:
    rng = random.Random(5)
    database = Database(url, pool_size=1)
    try:
        async with database.engine.connect() as conn:
            ended = await _successful_runs(conn, rng, samples)
            await _set_active(conn, False)
            queue_no_rules = [await _queue_server_ms(conn, row) for row in ended]
            await _set_active(conn, True)
            queue = [await _queue_server_ms(conn, row) for row in ended]
            queue_wall = await _timed_rolled_back(conn, ended, _queue)
            baseline_ms = [await _baseline_server_ms(conn, [row]) for row in ended]
            batches = [ended[i : i + BATCH_SIZE] for i in range(0, len(ended), BATCH_SIZE)]
            batched_ms = [await _batch_baselines_server_ms(conn, batch) for batch in batches]
            detection = await _timed_rolled_back(conn, ended, _detect)
            await _timed_rolled_back(conn, batches[:1], _detect_batch)  # compiles its shape
            batch_wall = await _timed_rolled_back(conn, batches, _detect_batch)
            await _set_active(conn, False)
    finally:
        await database.dispose()
    per_end = statistics.median(queue) + statistics.median(baseline_ms)
    return Record(
        name=f"anomalies: DB time per successful end, {dataset.executions:,} executions, "
        "6 rules per pipeline",
        figures={
            "queue row, no active rule (server ms, median)": _ms(queue_no_rules),
            "queue row, 6 rules (server ms, median)": _ms(queue),
            "queue row, 6 rules (wall ms incl. round trip, median)": _ms(queue_wall),
            "baseline query, 6 metrics (server ms, median/p95)": _ms(baseline_ms, p95=True),
            f"baselines of {BATCH_SIZE} runs in one statement, per run (server ms, median)": _ms(
                batched_ms
            ),
            "whole detection of one run (wall ms, median/p95)": _ms(detection, p95=True),
            f"whole detection in batches of {BATCH_SIZE}, per run (wall ms, median)": _ms(
                [ms / len(batch) for ms, batch in zip(batch_wall, batches, strict=True)]
            ),
            "baseline runs per metric (max)": MAX_BASELINE_EXECUTIONS,
        },
        target=f"queue row + baseline query ≤ {MAX_DB_MS:g} ms of server time",
        outcome="pass" if per_end <= MAX_DB_MS else "miss",
        notes=[
            f"{len(ended)} random successful runs; the job's other statements (claim, lock, "
            "rules, delete) are shared by a batch of runs. The wall time of one detection "
            "includes every statement's round trip and the Python around them"
        ],
    )


async def _set_active(conn: Any, active: bool) -> None:
    await conn.execute(text("UPDATE anomaly_detection_rule SET active = :a"), {"a": active})
    await conn.commit()


async def _successful_runs(conn: Any, rng: random.Random, samples: int) -> list[Any]:
    statement = text(
        "SELECT id, pipeline_id, start_date FROM pipeline_execution "
        "WHERE completed_successfully ORDER BY random() LIMIT :n"
    )
    rows = list(await conn.execute(statement, {"n": samples}))
    await conn.commit()
    rng.shuffle(rows)
    return rows


async def _timed_rolled_back(
    conn: Any, rows: list[Any], action: Callable[[Any, Any], Any]
) -> list[float]:
    """Milliseconds of `action` per row, each in a transaction rolled back afterwards."""
    timings = []
    for row in rows:
        transaction = await conn.begin()
        try:
            await conn.execute(text("SELECT 1"))  # BEGIN is sent with the first statement
            started = time.perf_counter()
            await action(conn, row)
            timings.append((time.perf_counter() - started) * 1000)
        finally:
            await transaction.rollback()
    return timings


async def _queue(conn: Any, row: Any) -> None:
    await repo.queue_detection(conn, row.id, row.pipeline_id, datetime.now(UTC))


async def _detect_batch(conn: Any, rows: list[Any]) -> None:
    await detect_executions(conn, [row.id for row in rows], datetime.now(UTC))
    await repo.delete_pending(conn, [row.id for row in rows])


async def _detect(conn: Any, row: Any) -> None:
    await detect_execution(conn, row.id, datetime.now(UTC))
    await repo.delete_pending(conn, [row.id])


async def _server_ms(conn: Any, statement: Any, values: dict[str, Any]) -> float:
    """The server's execution time of `statement` (EXPLAIN ANALYZE: it runs; the caller
    rolls back)."""
    compiled = statement.compile(dialect=conn.dialect)
    parameters = compiled.construct_params(values)
    positional = tuple(parameters[name] for name in compiled.positiontup)
    explain = await conn.exec_driver_sql("EXPLAIN (ANALYZE) " + str(compiled), positional)
    plan = "\n".join(line for (line,) in explain)
    return float(re.search(r"Execution Time: ([\d.]+) ms", plan).group(1))


async def _queue_server_ms(conn: Any, row: Any) -> float:
    values = {
        "queued_execution_id": row.id,
        "queued_pipeline_id": row.pipeline_id,
        "queued_at": datetime.now(UTC),
    }
    try:
        return await _server_ms(conn, repo._QUEUE_DETECTION, values)
    finally:
        await conn.rollback()


async def _baseline_server_ms(conn: Any, rows: list[Any]) -> float:
    """Server time of the statement that reads the baselines of `rows` (six metrics each)."""
    statement = repo._baselines_statement(len(rows), Seasonality.NONE)
    values: dict[str, Any] = {}
    for slot, row in enumerate(rows):
        window = baseline_window(Seasonality.NONE, row.start_date, 30)
        values.update(
            {
                f"pipeline_id_{slot}": row.pipeline_id,
                f"tested_id_{slot}": row.id,
                f"since_{slot}": window.since,
                f"until_{slot}": window.until,
                f"cap_{slot}": MAX_BASELINE_EXECUTIONS,
            }
        )
    try:
        return await _server_ms(conn, statement, values)
    finally:
        await conn.rollback()


async def _batch_baselines_server_ms(conn: Any, rows: list[Any]) -> float:
    """Server time per run of the one statement the job reads a batch's baselines with."""
    requests = [
        repo.BaselineRequest(
            row.pipeline_id, row.id, baseline_window(Seasonality.NONE, row.start_date, 30)
        )
        for row in rows
    ]
    statement = repo._lateral_baselines_statement(Seasonality.NONE)
    values = repo._request_arrays(requests, MAX_BASELINE_EXECUTIONS)
    try:
        return await _server_ms(conn, statement, values) / len(rows)
    finally:
        await conn.rollback()


def _ms(values: list[float], p95: bool = False) -> str:
    median = statistics.median(values)
    if not p95:
        return f"{median:.3f}"
    return f"{median:.3f}/{sorted(values)[int(len(values) * 0.95) - 1]:.3f}"


# --- lifecycle throughput -------------------------------------------------------------------


def _lifecycle(ctx: Context, watcher: Server, url: str, dataset: Dataset) -> None:
    workload = workloads.lifecycle(dataset.pipeline_ids)
    drains: list[tuple[int, float]] = []
    on: list[Measurement] = []
    flagged: list[tuple[int, int]] = []  # (runs flagged, runs ended) per "on" cell

    def off_cell() -> Cell:
        def measure() -> Measurement:
            asyncio.run(_set_rules_active(url, False))
            return ctx.load(watcher, workload)

        return Cell("detection off", measure, lambda: _warm(ctx, watcher, workload, url, False))

    def on_cell() -> Cell:
        def measure() -> Measurement:
            asyncio.run(_set_rules_active(url, True))
            before = asyncio.run(_flagged_runs(url))
            on.append(ctx.load(watcher, workload))
            drains.append(asyncio.run(_drain(url)))
            flagged.append((asyncio.run(_flagged_runs(url)) - before, on[-1].lifecycles or 0))
            return on[-1]

        return Cell(ON, measure, lambda: _warm(ctx, watcher, workload, url, True))

    def sustained_cell() -> Cell:
        # The same run, counted until the job has tested every run it ended: what the server
        # sustains when detection keeps up, the backlog's work included.
        def measure() -> Measurement:
            return dataclasses.replace(on[-1], seconds=on[-1].seconds + drains[-1][1])

        return Cell(SUSTAINED, measure)

    comparison = ctx.compare(
        f"anomalies: lifecycle with detection on vs off, c=16, {dataset.executions:,} executions",
        [off_cell(), on_cell(), sustained_cell()],
        [Target(SUSTAINED, must=MIN_RATIO), Target(ON, must=MIN_RATIO)],
        unit="lifecycles/s",
    )
    comparison.notes.append(
        "runs still queued when each 'on' cell ended (the job lags under saturating load), "
        "and the seconds the job then took to test them: "
        + "; ".join(f"{left} in {seconds:.1f} s" for left, seconds in drains)
    )
    comparison.notes.append(
        "runs of each 'on' cell flagged as anomalies (each writes a finding and an alert): "
        + "; ".join(f"{runs} of {ended:,}" for runs, ended in flagged)
    )
    ctx.record(_lag_at_moderate_load(ctx, watcher, url, dataset))
    asyncio.run(_set_rules_active(url, False))


ON = "detection on (6 rules), during load"
SUSTAINED = "detection on, until every run is tested"
MODERATE_CONNECTIONS = 2


def _warm(ctx: Context, watcher: Server, workload: Any, url: str, active: bool) -> None:
    if ctx.options.warmup > 0:
        asyncio.run(_set_rules_active(url, active))
        ctx.load(watcher, workload, seconds=ctx.options.warmup)
        asyncio.run(_drain(url))


def _lag_at_moderate_load(ctx: Context, watcher: Server, url: str, dataset: Dataset) -> Record:
    """Below saturation (few connections), the job keeps up: little is left when load stops."""
    asyncio.run(_set_rules_active(url, True))
    workload = workloads.lifecycle(dataset.pipeline_ids)
    measured = ctx.load(watcher, workload, connections=MODERATE_CONNECTIONS)
    left, seconds = asyncio.run(_drain(url))
    return Record(
        name=f"anomalies: detection lag at c={MODERATE_CONNECTIONS} (below saturation)",
        figures={
            "lifecycles/s": round(measured.rate),
            "runs still queued when load stopped": left,
            "seconds to test them": round(seconds, 2),
        },
        target="informative: findings within about a second of the end call",
    )


async def _flagged_runs(url: str) -> int:
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetchval(
            "SELECT count(DISTINCT pipeline_execution_id) FROM anomaly_detection_result"
        )
    finally:
        await connection.close()


async def _drain(url: str) -> tuple[int, float]:
    """Wait until the detection job has tested every queued run: how many were left, and the
    seconds it took."""
    connection = await asyncpg.connect(url)
    try:
        left = await connection.fetchval("SELECT count(*) FROM anomaly_detection_pending")
        started = time.perf_counter()
        while await connection.fetchval("SELECT count(*) FROM anomaly_detection_pending"):
            if time.perf_counter() - started > DRAIN_TIMEOUT_SECONDS:
                raise RuntimeError("the detection job did not drain its queue")
            await asyncio.sleep(0.05)
        return left, time.perf_counter() - started
    finally:
        await connection.close()


if __name__ == "__main__":
    main(run)
