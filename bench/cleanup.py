"""Benchmark: log cleanup of 1,000,000 old runs while pipelines keep starting and ending runs.

What it does, on a throw-away database created on the PostgreSQL server named by --server:

1. migrates it and bulk-loads pipelines and old runs with COPY (a share of them nested, a few old
   trees kept alive by a running run), then VACUUM ANALYZE;
2. starts `watcher serve` as a separate process and a load process that runs start/end
   lifecycles against it with --concurrency callers;
3. measures the lifecycle rate and end_pipeline_execution latency for --baseline-seconds, then
   runs the cleanup (in this process, as `watcher cleanup` does) while the load goes on, then
   measures a second baseline of the same length;
4. reports rows deleted per second, per-batch time, the worst and p99 latency of
   end_pipeline_execution during the cleanup and without it, and the lifecycle rate during the
   cleanup against the average of the two baselines; then drops the database.

    .venv/bin/python bench/cleanup.py [--rows 1000000] [--batch-size 10000] [--json out.json]

Numbers are whole-machine numbers: the server, PostgreSQL, the load and the cleanup share it.
"""

import argparse
import asyncio
import bisect
import json
import multiprocessing
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
from sqlalchemy import text

from watcher_server import __version__
from watcher_server.db import Database, migrate
from watcher_server.maintenance.retention import Retention
from watcher_server.maintenance.service import REST_PER_BATCH, Batch, clean_logs

RETENTION_DAYS = 90
PIPELINES = 1000
COPY_CHUNK = 100_000
NESTED_EVERY = 10  # in each group of 10 runs: a root, two children, one grandchild, six alone
KEPT_TREE_EVERY = 10_000  # one old tree in this many runs has a run still going: kept whole


@dataclass
class LoadSample:
    """What the load process saw: one entry per finished lifecycle."""

    finished_at: list[float] = field(default_factory=list)  # time.time() at the end's answer
    end_latency: list[float] = field(default_factory=list)  # seconds
    failures: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- data


def run_rows(count: int, now: datetime) -> Any:
    """The old runs as COPY records, ids 1..count; start times 100 to 400 days back."""
    rng = random.Random(7)
    span = 300 * 24 * 3600
    first = now - timedelta(days=400)
    for run_id in range(1, count + 1):
        position = (run_id - 1) % NESTED_EVERY
        root = run_id - position
        parent = {1: root, 2: root, 3: root + 1}.get(position)
        started = first + timedelta(seconds=span * (root - 1) / count + position)
        running = parent is not None and run_id % KEPT_TREE_EVERY == 3
        duration = rng.randint(5, 600)
        total = rng.randint(0, 100_000)
        yield (
            run_id,
            parent,
            rng.randint(1, PIPELINES),
            started,
            None if running else started + timedelta(seconds=duration),
            started.date(),
            started.hour,
            None if running else duration,
            None if running else True,
            total,
            0,
            0,
            total,
            None if running else total / duration,
        )


RUN_COLUMNS = [
    "id",
    "parent_id",
    "pipeline_id",
    "start_date",
    "end_date",
    "date_recorded",
    "hour_recorded",
    "duration_seconds",
    "completed_successfully",
    "inserts",
    "updates",
    "soft_deletes",
    "total_rows",
    "throughput",
]


async def load_data(dsn: str, rows: int, now: datetime) -> dict[str, float]:
    conn = await asyncpg.connect(dsn)
    try:
        started = time.perf_counter()
        await conn.execute("INSERT INTO pipeline_type (name) VALUES ('bench')")
        await conn.copy_records_to_table(
            "pipeline",
            columns=["id", "name", "pipeline_type_id", "watermark"],
            records=[(i, f"bench_{i:04d}", 1, "0") for i in range(1, PIPELINES + 1)],
        )
        batch: list[tuple[Any, ...]] = []
        for record in run_rows(rows, now):
            batch.append(record)
            if len(batch) == COPY_CHUNK:
                await conn.copy_records_to_table(
                    "pipeline_execution", columns=RUN_COLUMNS, records=batch
                )
                batch = []
        if batch:
            await conn.copy_records_to_table(
                "pipeline_execution", columns=RUN_COLUMNS, records=batch
            )
        for table in ("pipeline", "pipeline_execution"):
            await conn.execute(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
        loaded = time.perf_counter() - started
        await conn.execute("VACUUM ANALYZE")
        return {
            "load_seconds": loaded,
            "vacuum_analyze_seconds": time.perf_counter() - started - loaded,
        }
    finally:
        await conn.close()


def kept_runs(rows: int) -> int:
    """Old runs the cleanup must keep: the whole trees that hold a run still going."""
    roots = {
        run_id - (run_id - 1) % NESTED_EVERY
        for run_id in range(1, rows + 1)
        if run_id % KEPT_TREE_EVERY == 3
    }
    return sum(min(4, rows - root + 1) for root in roots)


# --------------------------------------------------------------------------- load process


async def lifecycles(base_url: str, concurrency: int, stop: Any, sample: LoadSample) -> None:
    # Idle connections are dropped before the server's 5 s keep-alive timeout, so that a request
    # never goes out on a connection the server is closing (a client-side ReadError).
    limits = httpx.Limits(
        max_connections=concurrency, max_keepalive_connections=concurrency, keepalive_expiry=2
    )
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as http:

        async def caller(seed: int) -> None:
            rng = random.Random(seed)
            while not stop.is_set():
                try:
                    started = await http.post(
                        "/start_pipeline_execution", json={"pipeline_id": rng.randint(1, PIPELINES)}
                    )
                    if started.status_code != 201:
                        sample.failures.append(f"start {started.status_code}")
                        continue
                    body = {
                        "id": started.json()["id"],
                        "inserts": rng.randint(0, 100),
                        "total_rows": 100,
                    }
                    begun = time.perf_counter()
                    ended = await http.post("/end_pipeline_execution", json=body)
                    latency = time.perf_counter() - begun
                    if ended.status_code != 204:
                        sample.failures.append(f"end {ended.status_code}")
                        continue
                    sample.finished_at.append(time.time())
                    sample.end_latency.append(latency)
                except httpx.HTTPError as exc:
                    sample.failures.append(type(exc).__name__)

        await asyncio.gather(*(caller(seed) for seed in range(concurrency)))


def load_process(base_url: str, concurrency: int, stop: Any, results: Any) -> None:
    sample = LoadSample()
    asyncio.run(lifecycles(base_url, concurrency, stop, sample))
    results.put(asdict(sample))


# --------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(database_url: str, port: int) -> subprocess.Popen[bytes]:
    environment = {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(
        [sys.executable, "-m", "watcher_server", "serve", "--port", str(port)], env=environment
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the server exited during start-up")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready").status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("the server did not become ready in 60 s")


# --------------------------------------------------------------------------- measurement


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def window(sample: LoadSample, start: float, end: float) -> dict[str, float]:
    """Lifecycle rate and end latency (ms) of the lifecycles that finished in [start, end)."""
    return spans(sample, [(start, end)])


def spans(sample: LoadSample, intervals: list[tuple[float, float]]) -> dict[str, float]:
    """Lifecycle rate and end latency (ms) of the lifecycles that finished in any interval."""
    starts = [start for start, _ in intervals]
    latencies = []
    for finished, latency in zip(sample.finished_at, sample.end_latency, strict=True):
        index = bisect.bisect_right(starts, finished) - 1
        if index >= 0 and finished < intervals[index][1]:
            latencies.append(latency)
    seconds = sum(end - start for start, end in intervals)
    return {
        "seconds": round(seconds, 2),
        "lifecycles": len(latencies),
        "lifecycles_per_second": round(len(latencies) / seconds, 1) if seconds > 0 else 0.0,
        "end_p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "end_p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "end_max_ms": round(max(latencies, default=float("nan")) * 1000, 1),
    }


def batches_and_rests(
    batch_ends: list[tuple[float, float]], end: float
) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """The cleanup's wall-clock intervals: while a batch ran, and while it rested after one."""
    working = [(finished - seconds, finished) for finished, seconds in batch_ends]
    resting = [
        (working[i][1], working[i + 1][0] if i + 1 < len(working) else end)
        for i in range(len(working))
    ]
    return working, resting


def backend_cpu_seconds(pid: int) -> float | None:
    """CPU time a local PostgreSQL backend has used so far (None when /proc cannot tell)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run_cleanup(
    database_url: str, now: datetime, batch_size: int, rest: float
) -> dict[str, Any]:
    """The cleanup as `watcher cleanup` runs it, timing every batch.

    Besides wall time, it records the CPU time spent on the cleanup in this process and in its
    PostgreSQL backend: on a shared machine that is what a batch costs on an idle core.
    """
    batches: list[Batch] = []
    batch_ends: list[tuple[float, float]] = []

    def record(batch: Batch) -> None:
        batches.append(batch)
        batch_ends.append((time.time(), batch.seconds))

    db = Database(database_url, pool_size=1)
    try:
        async with db.transaction() as conn:
            backend = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        cpu_before = (time.process_time(), backend_cpu_seconds(backend))
        report = await clean_logs(
            db, now, Retention(RETENTION_DAYS), batch_size, on_batch=record, rest_per_batch=rest
        )
        cpu_after = (time.process_time(), backend_cpu_seconds(backend))
    finally:
        await db.dispose()
    times = [batch.seconds * 1000 for batch in batches]
    deleted = sum(report.rows.values())
    client_cpu = cpu_after[0] - cpu_before[0]
    server_cpu = cpu_after[1] - cpu_before[1] if None not in (cpu_after[1], cpu_before[1]) else None
    per_batch = 1000 / report.batches if report.batches else float("nan")
    return {
        "rows_deleted": report.rows,
        "seconds": round(report.seconds, 2),
        "rows_deleted_per_second": round(deleted / report.seconds) if report.seconds else 0,
        "batches": report.batches,
        "batch_p50_ms": round(statistics.median(times), 1) if times else None,
        "batch_p95_ms": round(percentile(times, 0.95), 1) if times else None,
        "batch_max_ms": round(max(times), 1) if times else None,
        "batches_over_250_ms": sum(1 for ms in times if ms > 250),
        "cpu_ms_per_batch_cleanup_process": round(client_cpu * per_batch, 1),
        "cpu_ms_per_batch_postgres_backend": None
        if server_cpu is None
        else round(server_cpu * per_batch, 1),
        "batch_ends": batch_ends,
    }


async def old_runs_left(dsn: str, now: datetime) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        cutoff = now - timedelta(days=RETENTION_DAYS)
        return await conn.fetchval(
            "SELECT count(*) FROM pipeline_execution WHERE start_date < $1", cutoff
        )
    finally:
        await conn.close()


# --------------------------------------------------------------------------- main


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--server",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="PostgreSQL server (any database on it) where the throw-away database is created",
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="old runs to load")
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument(
        "--concurrency",
        type=int,
        default=16,
        help="concurrent lifecycle callers; 0 runs the cleanup alone, with no server",
    )
    parser.add_argument("--baseline-seconds", type=float, default=15.0)
    parser.add_argument(
        "--rest",
        type=float,
        default=REST_PER_BATCH,
        help="rest after each batch, in multiples of its duration (default: %(default)s)",
    )
    parser.add_argument("--json", help="also write the results to this file")
    return parser.parse_args()


async def admin(server: str, statement: str) -> None:
    conn = await asyncpg.connect(server)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def database_url(server: str, name: str) -> str:
    """The URL of database `name` on the same server (Watcher and asyncpg both read it)."""
    return f"{server.rpartition('/')[0]}/{name}"


def measure(args: argparse.Namespace, url: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    migrate.upgrade(url)
    results: dict[str, Any] = {"data": asyncio.run(load_data(url, args.rows, now))}
    if args.concurrency == 0:  # the cleanup alone: batch times without competition
        results["cleanup"] = asyncio.run(run_cleanup(url, now, args.batch_size, args.rest))
        del results["cleanup"]["batch_ends"]
    else:
        results.update(cleanup_under_load(args, url, now))
    results["check"] = {
        "old_runs_expected_left": kept_runs(args.rows),
        "old_runs_left": asyncio.run(old_runs_left(url, now)),
    }
    return results


def cleanup_under_load(args: argparse.Namespace, url: str, now: datetime) -> dict[str, Any]:
    """Baseline, cleanup, baseline, with lifecycles running against a server throughout."""
    port = free_port()
    server = start_server(url, port)
    context = multiprocessing.get_context("spawn")
    stop, queue = context.Event(), context.Queue()
    load = context.Process(
        target=load_process, args=(f"http://127.0.0.1:{port}", args.concurrency, stop, queue)
    )
    try:
        load.start()
        time.sleep(3)  # warm-up: connections, statement caches
        marks = [time.time()]
        time.sleep(args.baseline_seconds)
        marks.append(time.time())
        cleanup = asyncio.run(run_cleanup(url, now, args.batch_size, args.rest))
        marks.append(time.time())
        time.sleep(args.baseline_seconds)
        marks.append(time.time())
        stop.set()
        sample = LoadSample(**queue.get(timeout=120))
        load.join(timeout=60)
    finally:
        stop.set()
        if load.is_alive():
            load.terminate()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    before, during, after = (window(sample, *marks[i : i + 2]) for i in range(3))
    working, resting = batches_and_rests(cleanup.pop("batch_ends"), marks[2])
    baseline_rate = (before["lifecycles_per_second"] + after["lifecycles_per_second"]) / 2
    ratio = during["lifecycles_per_second"] / baseline_rate if baseline_rate else float("nan")
    return {
        "cleanup": cleanup,
        "load": {
            "before": before,
            "during_cleanup": during,
            "after": after,
            "rate_during_over_baseline": round(ratio, 3),
            # Interleaved, so immune to drift in what else the machine runs: lifecycles that
            # finished while a batch ran against those that finished while the cleanup rested.
            "while_a_batch_runs": spans(sample, working),
            "while_the_cleanup_rests": spans(sample, resting),
            "failed_calls": len(sample.failures),
            "failures": sorted(set(sample.failures))[:10],
        },
    }


def main() -> None:
    args = parse_arguments()
    name = f"watcher_bench_cleanup_{uuid.uuid4().hex[:8]}"
    url = database_url(args.server, name)
    asyncio.run(admin(args.server, f'CREATE DATABASE "{name}"'))
    try:
        results = measure(args, url)
    finally:
        asyncio.run(admin(args.server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    results["settings"] = {
        "rows": args.rows,
        "batch_size": args.batch_size,
        "rest_per_batch": args.rest,
        "concurrency": args.concurrency,
        "baseline_seconds": args.baseline_seconds,
        "watcher": __version__,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_at_end": os.getloadavg(),
    }
    print(json.dumps(results, indent=2))
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2)


if __name__ == "__main__":
    main()
