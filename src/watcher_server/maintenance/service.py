"""Log cleanup: delete old runs and logs in short batches, each committed on its own.

Pipelines keep writing while it runs: a batch holds its locks for one short transaction, skips
rows another transaction holds, and the next batch starts only after the previous one committed.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from sqlalchemy.exc import IntegrityError

from watcher_server.db import Database
from watcher_server.errors import Conflict
from watcher_server.maintenance import repository as repo
from watcher_server.maintenance.registry import (
    EXECUTIONS,
    REGISTRY,
    CleanupRegistry,
    StandaloneLog,
)
from watcher_server.maintenance.retention import Cutoffs, Retention
from watcher_server.maintenance.schemas import SEED_COUNTERS
from watcher_server.maintenance.trees import deletable_trees
from watcher_server.settings import Settings

logger = logging.getLogger(__name__)

# After each batch the cleanup rests this many times as long as the batch took, so that it uses
# at most about a quarter of the time of one connection and of the CPU it needs: pipelines
# writing meanwhile keep most of the machine (lifecycles ran at 0.77x during it with 1.0, and
# at 0.79x on a slower machine with 2.0).
REST_PER_BATCH = 3.0

# Each batch aims at this long: the rows it locks and the connection it holds are back before
# a pipeline's start or end would notice, and its fixed costs are still small beside its work.
# Under load a batch can take 2-3x its aim (120 ms gave batches of up to 315 ms).
TARGET_BATCH_SECONDS = 0.08
# Batches start at this size (or the size asked for, when smaller) and never shrink below it:
# smaller batches would spend more on their fixed costs than on deleting.
SMALLEST_BATCH_SIZE = 1_000

# A batch can collide with a write that committed after it chose its rows (a run nested under
# one of them, a log row for one of them). It is then rolled back and chosen again.
BATCH_ATTEMPTS = 3


@dataclass(frozen=True)
class Batch:
    """One committed transaction of a cleanup: rows deleted per table, and how long it took."""

    rows: dict[str, int]
    seconds: float


BatchListener = Callable[[Batch], None]


class BatchSizer:
    """How many rows the next batch takes: between SMALLEST_BATCH_SIZE and the size asked for,
    scaled after each batch towards TARGET_BATCH_SECONDS, so that a slow machine, a busy
    database or wide rows make batches smaller rather than longer. Grows at most twofold."""

    def __init__(self, maximum: int) -> None:
        self.maximum = maximum
        self.minimum = min(maximum, SMALLEST_BATCH_SIZE)
        self.size = self.minimum

    def record(self, seconds: float) -> None:
        scaled = int(self.size * TARGET_BATCH_SECONDS / max(seconds, 1e-3))
        self.size = max(self.minimum, min(self.maximum, 2 * self.size, scaled))


@dataclass
class CleanupReport:
    retention: Retention
    cutoffs: Cutoffs
    batch_size: int
    dry_run: bool
    rows: dict[str, int]
    counters: dict[str, int] = field(default_factory=dict)
    batches: int = 0
    slowest_batch_seconds: float = 0.0
    seconds: float = 0.0

    def add(self, batch: Batch) -> None:
        for table, rows in batch.rows.items():
            self.rows[table] = self.rows.get(table, 0) + rows
        self.batches += 1
        self.slowest_batch_seconds = max(self.slowest_batch_seconds, batch.seconds)


async def clean_logs(
    db: Database,
    now: datetime,
    retention: Retention,
    batch_size: int,
    *,
    dry_run: bool = False,
    registry: CleanupRegistry = REGISTRY,
    on_batch: BatchListener | None = None,
    rest_per_batch: float = REST_PER_BATCH,
) -> CleanupReport:
    """Delete runs older than the runs' retention before `now`, with what belongs to them, and
    each other kind's rows older than its own retention.

    With `dry_run`, count what would be deleted and delete nothing.
    """
    started = time.perf_counter()
    cutoffs = retention.cutoffs(now)
    report = CleanupReport(
        retention, cutoffs, batch_size, dry_run, dict.fromkeys(registry.tables(), 0)
    )
    if dry_run:
        async with db.transaction() as conn:
            report.rows.update(await repo.count_deletable(conn, cutoffs, registry))
    else:
        # Logs first: an expired log row that points at a run no longer keeps it.
        sizer = BatchSizer(batch_size)
        paced = partial(_run_batches, report, sizer, on_batch, rest_per_batch)
        for log in registry.standalone_logs:
            await paced(partial(_log_batch, db, log, cutoffs, sizer))
        await paced(_ExecutionBatches(db, cutoffs, sizer, registry).next)
    report.counters = seed_counters(report.rows, registry)
    report.seconds = time.perf_counter() - started
    _log_report(report)
    return report


async def run_scheduled_cleanup(db: Database, settings: Settings, now: datetime) -> CleanupReport:
    """The job the scheduler runs on WATCHER_LOG_CLEANUP_SCHEDULE, with the retention settings."""
    return await clean_logs(
        db,
        now,
        Retention.named(settings, prefix="watcher_log_cleanup_"),
        settings.watcher_log_cleanup_batch_size,
    )


async def _run_batches(
    report: CleanupReport,
    sizer: BatchSizer,
    on_batch: BatchListener | None,
    rest_per_batch: float,
    run_batch: Callable[[], Awaitable[Batch | None]],
) -> None:
    """Run batches until one finds nothing left to delete, resting after each."""
    while (batch := await run_batch()) is not None:
        report.add(batch)
        sizer.record(batch.seconds)
        if on_batch is not None:
            on_batch(batch)
        # Even with no rest, yield: requests waiting for a connection then take it before the
        # next batch does (SQLite has one, and a pool hands a freed one to whoever asks first).
        await asyncio.sleep(batch.seconds * rest_per_batch)


class _ExecutionBatches:
    """Batches over the trees of old runs, oldest first; each batch resumes after the last."""

    def __init__(
        self, db: Database, cutoffs: Cutoffs, sizer: BatchSizer, registry: CleanupRegistry
    ) -> None:
        self.db, self.cutoffs, self.sizer, self.registry = db, cutoffs, sizer, registry
        self.after: tuple[datetime, int] | None = None

    async def next(self) -> Batch | None:
        """Delete the next whole trees of eligible runs; None once no eligible root is left."""
        for attempt in range(1, BATCH_ATTEMPTS + 1):
            try:
                return await self._attempt()
            except IntegrityError as exc:
                logger.info("log cleanup batch collided with a concurrent write: %s", exc)
                if attempt == BATCH_ATTEMPTS:
                    raise Conflict(
                        f"log cleanup stopped: {BATCH_ATTEMPTS} attempts at a batch met rows "
                        "written meanwhile that refer to its runs; what it deleted before is "
                        "committed, run it again"
                    ) from exc
        return None

    async def _attempt(self) -> Batch | None:
        started = time.perf_counter()
        size = self.sizer.size
        async with self.db.transaction() as conn:
            root_ids = await repo.lock_eligible_roots(
                conn, self.cutoffs, self.after, size, self.registry
            )
            if not root_ids:
                return None
            nested = await repo.nested_runs(conn, root_ids, self.cutoffs, self.registry)
            chosen = deletable_trees(root_ids, nested, size)
            after = await repo.position_of(conn, root_ids[chosen.roots_examined - 1])
            rows = await repo.delete_executions(conn, chosen.levels, self.registry)
        self.after = after
        return Batch(rows, time.perf_counter() - started)


async def _log_batch(
    db: Database, log: StandaloneLog, cutoffs: Cutoffs, sizer: BatchSizer
) -> Batch | None:
    started = time.perf_counter()
    async with db.transaction() as conn:
        rows = await repo.delete_expired_logs(conn, log, cutoffs, sizer.size)
    if rows == 0:
        return None
    return Batch({log.table.name: rows}, time.perf_counter() - started)


def seed_counters(rows: dict[str, int], registry: CleanupRegistry) -> dict[str, int]:
    """The original Watcher's counters, filled from the tables that exist here (others are 0)."""
    counters = dict.fromkeys(SEED_COUNTERS, 0)
    counters["total_pipeline_executions_deleted"] = rows.get(EXECUTIONS.name, 0)
    for entry in (*registry.execution_children, *registry.standalone_logs):
        if entry.seed_counter is not None:
            counters[entry.seed_counter] = rows.get(entry.table.name, 0)
    return counters


def _log_report(report: CleanupReport) -> None:
    verb = "would delete" if report.dry_run else "deleted"
    tables = ", ".join(f"{table}={rows}" for table, rows in report.rows.items())
    cutoffs = ", ".join(f"{kind} {cutoff.isoformat()}" for kind, cutoff in report.cutoffs.items())
    logger.info(
        "log cleanup (cutoffs: %s) %s %s in %d batches, %.2f s",
        cutoffs,
        verb,
        tables,
        report.batches,
        report.seconds,
    )
