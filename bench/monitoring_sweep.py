"""Lifecycle throughput while the timeliness and freshness checks sweep 1,000,000 executions.

Issue 8 asks that starts and ends keep ≥ 0.90x of their throughput during a sweep. One Watcher
server on PostgreSQL, its scheduled checks switched off (nothing fires on its own), holds the
data set of `bench/monitoring_checks.py` (10,000 pipelines and 1,000,000 executions by default,
with overdue runs, late finishes and stale pipelines to find), dated now. Two cells in
interleaved rounds: the lifecycle load at c=16 undisturbed, and the same load while a thread
of this process calls POST /timeliness then POST /freshness back to back, started before the
load and stopped after it, so that the whole cell overlaps sweeps. In production the job
runner fires the checks on their cron schedules (every 15 minutes and hourly by default), in
the same process and with the same service calls: back to back is the worst case of that.
The sweep durations are recorded too, alone and during the load.

Run alone with `python -m bench.monitoring_sweep [--sweep-pipelines N --sweep-executions N]`.
"""

import asyncio
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from bench.harness import (
    Cell,
    Context,
    Measurement,
    Record,
    Target,
    in_background,
    main,
    median,
    percentile,
    workloads,
)
from bench.harness.servers import Server
from bench.monitoring_checks import seed
from watcher_server.db import Database

CHECKS = ("timeliness", "freshness")
MIN_RATIO = 0.90
MAX_SWEEP_SECONDS = 1.0
ALONE_SWEEPS = 5
SWEEP_TIMEOUT_SECONDS = 60
JOBS_ENV = {"WATCHER_TIMELINESS_CHECK_SCHEDULE": "", "WATCHER_FRESHNESS_CHECK_SCHEDULE": ""}
UNDISTURBED = "undisturbed"
DURING = "during sweeps"


def add_arguments(parser: Any) -> None:
    add = parser.add_argument
    add("--sweep-pipelines", type=int, default=10_000,
        help="monitoring_sweep: pipelines, at least 100 (default 10,000; smoke 200)")  # fmt: skip
    add("--sweep-executions", type=int, default=1_000_000,
        help="monitoring_sweep: executions (default 1,000,000; smoke 5,000)")  # fmt: skip


@dataclass
class Sweeps:
    """Wall seconds of every check the sweeper ran, by check."""

    seconds: dict[str, list[float]] = field(default_factory=lambda: {c: [] for c in CHECKS})

    def add(self, other: "Sweeps") -> None:
        for check in CHECKS:
            self.seconds[check] += other.seconds[check]

    def count(self) -> int:
        return min(len(times) for times in self.seconds.values())


def run(ctx: Context) -> None:
    smoke = ctx.options.smoke
    pipelines = 200 if smoke else ctx.options.extra.sweep_pipelines
    executions = 5_000 if smoke else ctx.options.extra.sweep_executions
    with ctx.postgres("monitoring_sweep") as url:
        asyncio.run(_seed(url, pipelines, executions))
        with ctx.watcher(url, env=JOBS_ENV) as watcher:
            first, alone = _sweep_alone(watcher.url)
            during = _lifecycle_during_sweeps(ctx, watcher, range(1, pipelines + 1), executions)
    ctx.record(_sweep_record(pipelines, executions, first, alone, during))


async def _seed(url: str, pipelines: int, executions: int) -> None:
    db = Database(url)
    try:
        await seed(db, pipelines, executions, datetime.now(UTC))
    finally:
        await db.dispose()


def _sweep(client: httpx.Client, sweeps: Sweeps) -> None:
    """One timeliness check then one freshness check, each timed from this side of the wire."""
    for check in CHECKS:
        started = time.perf_counter()
        client.post(f"/{check}").raise_for_status()
        sweeps.seconds[check].append(time.perf_counter() - started)


def _sweep_alone(base_url: str) -> tuple[Sweeps, Sweeps]:
    """The first sweep (it logs and alerts every finding), then ALONE_SWEEPS more, no load."""
    first, again = Sweeps(), Sweeps()
    with httpx.Client(base_url=base_url, timeout=SWEEP_TIMEOUT_SECONDS) as client:
        _sweep(client, first)
        for _ in range(ALONE_SWEEPS):
            _sweep(client, again)
    return first, again


def _sweep_until(stop: threading.Event, base_url: str, sweeps: Sweeps) -> None:
    with httpx.Client(base_url=base_url, timeout=SWEEP_TIMEOUT_SECONDS) as client:
        while not stop.is_set():
            _sweep(client, sweeps)


def _lifecycle_during_sweeps(
    ctx: Context, watcher: Server, pipelines: range, executions: int
) -> Sweeps:
    workload = workloads.lifecycle(pipelines)
    during = Sweeps()
    per_cell: list[int] = []

    def measure() -> Measurement:
        stop, sweeps = threading.Event(), Sweeps()
        with in_background(lambda: _sweep_until(stop, watcher.url, sweeps)):
            try:
                return ctx.load(watcher, workload)
            finally:
                stop.set()
                during.add(sweeps)
                per_cell.append(sweeps.count())

    comparison = ctx.compare(
        f"lifecycle during timeliness + freshness sweeps, c=16, {len(pipelines):,} pipelines, "
        f"{executions:,} executions",
        [ctx.cell(UNDISTURBED, watcher, workload), Cell(DURING, measure)],
        [Target(DURING, must=MIN_RATIO)],
        unit="lifecycles/s",
    )
    comparison.notes.append(f"sweeps (timeliness + freshness) per 'during' cell: {per_cell}")
    return during


def _sweep_record(
    pipelines: int, executions: int, first: Sweeps, alone: Sweeps, during: Sweeps
) -> Record:
    figures: dict[str, Any] = {}
    for check in CHECKS:
        figures[f"{check} first (logs + alerts) ms"] = _ms(first.seconds[check][0])
        figures[f"{check} alone median/max ms"] = _spread(alone.seconds[check])
        figures[f"{check} during load median/p95/max ms"] = _spread(during.seconds[check], p95=True)
    worst_alone = max(max(first.seconds[c] + alone.seconds[c]) for c in CHECKS)
    return Record(
        name=f"monitoring sweep durations, {pipelines:,} pipelines, {executions:,} executions",
        figures=figures,
        target=f"alone ≤ {MAX_SWEEP_SECONDS:g} s each; during c=16 load: informative",
        outcome="pass" if worst_alone <= MAX_SWEEP_SECONDS else "miss",
        notes=[
            "wall time of POST /timeliness and POST /freshness seen by the caller; during the "
            "load they share the server's event loop and the database with 16 lifecycle callers"
        ],
    )


def _spread(seconds: list[float], p95: bool = False) -> str:
    if not seconds:
        return "—"
    parts = [median(seconds)] + ([percentile(seconds, 0.95)] if p95 else []) + [max(seconds)]
    return "/".join(_ms(value) for value in parts)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


if __name__ == "__main__":
    main(run)
