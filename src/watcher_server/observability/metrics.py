"""Watcher's Prometheus metrics, in prometheus-client's multi-process mode under `watcher serve`.

`watcher serve` points PROMETHEUS_MULTIPROC_DIR at a directory of its own before any worker
starts, so each worker writes its samples there and a scrape of any worker reads them all.
Without it (an app built in a test, or uvicorn run by hand) the process's own registry is used.
Labels take bounded sets of values only: route templates, methods, statuses, job and channel
names, never a pipeline's name or a raw path.
"""

import asyncio
import os
import re
from pathlib import Path
from wsgiref.simple_server import WSGIServer

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from watcher_server.serving import MULTIPROC_DIR

# Requests take milliseconds; the top buckets catch a slow database.
DURATION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
POOL_SAMPLE_SECONDS = 2
JOB_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800)

HTTP_REQUESTS = Counter(
    "watcher_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "watcher_http_request_duration_seconds",
    "Time from a request's arrival to the end of its response, by method and route template.",
    ["method", "route"],
    buckets=DURATION_BUCKETS,
)
EXECUTIONS_STARTED = Counter(
    "watcher_pipeline_executions_started", "Pipeline runs started (replayed starts not counted)."
)
EXECUTIONS_ENDED = Counter(
    "watcher_pipeline_executions_ended",
    "Pipeline runs ended, by outcome (succeeded, failed; repeated ends not counted).",
    ["outcome"],
)
ALERT_DELIVERIES = Counter(
    "watcher_alert_deliveries",
    "Attempts to deliver an alert, by channel and result (delivered, failed).",
    ["channel", "result"],
)
JOB_RUNS = Counter(
    "watcher_job_runs", "Background job runs, by job and status (ok, error).", ["job", "status"]
)
JOB_DURATION = Histogram(
    "watcher_job_duration_seconds", "Duration of background job runs.", ["job"], buckets=JOB_BUCKETS
)
# Summed over the living workers of this `watcher serve`.
DB_POOL_SIZE = Gauge(
    "watcher_db_pool_size",
    "Most database connections the workers' pools may open.",
    multiprocess_mode="livesum",
)
DB_POOL_CHECKED_OUT = Gauge(
    "watcher_db_pool_checked_out",
    "Database connections in use by a request or job right now.",
    multiprocess_mode="livesum",
)


def multiprocess_directory() -> str | None:
    return os.environ.get(MULTIPROC_DIR) or None


async def sample_pool(engine: AsyncEngine) -> None:
    """Keep this process's pool gauges up to date until cancelled.

    Sampled rather than counted on each checkout: two writes to the metrics file per request
    cost more than the gauges are worth between two scrapes.
    """
    pool = engine.sync_engine.pool
    if not isinstance(pool, QueuePool):  # the app's engines always have one
        return
    while True:
        DB_POOL_SIZE.set(pool.size())
        DB_POOL_CHECKED_OUT.set(pool.checkedout())
        await asyncio.sleep(POOL_SAMPLE_SECONDS)


def forget_dead_workers() -> None:
    """Drop the live gauges of workers that are gone (a crash leaves them behind)."""
    directory = multiprocess_directory()
    if directory is None:
        return
    pids = {
        int(match.group(1))
        for path in Path(directory).glob("gauge_live*_*.db")
        if (match := re.search(r"_(\d+)\.db$", path.name))
    }
    for pid in pids:
        if not _is_running(pid):
            multiprocess.mark_process_dead(pid, directory)


def process_stopped() -> None:
    """This worker is stopping: its live gauges no longer count."""
    directory = multiprocess_directory()
    if directory is not None:
        multiprocess.mark_process_dead(os.getpid(), directory)


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _Families(Collector):
    """Metric families computed before the scrape (from the database, asynchronously)."""

    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> list[Metric]:
        return self.families


def exposition(families: list[Metric]) -> bytes:
    """The text exposition of every worker's samples, then `families`."""
    directory = multiprocess_directory()
    registry = REGISTRY
    if directory is not None:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=directory)
    snapshot = CollectorRegistry()
    snapshot.register(_Families(families))
    return generate_latest(registry) + generate_latest(snapshot)


def serve_metrics(host: str, port: int) -> WSGIServer:
    """Serve this process's metrics on `host`:`port` from a thread (for `watcher jobs run`,
    which has no HTTP API of its own); `.shutdown()` stops it."""
    server, _ = start_http_server(port, addr=host)
    return server
