"""The detection job: tests the executions that successful end calls queued.

A queued row is deleted in the transaction that stores its findings, so a process that dies
mid-way leaves it queued, and the next poll (in any process) does the work again.
"""

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from watcher_server.alerts.backoff import retry_delay
from watcher_server.anomalies import repository as repo
from watcher_server.anomalies.service import detect_executions
from watcher_server.db import Database
from watcher_server.jobs.spec import JobContext

logger = logging.getLogger(__name__)

# Runs per transaction: enough to spread its fixed statements (claim, lock, rules, delete,
# commit) thin; above 100 the cost per run hardly falls, and the transaction stays short.
BATCH_SIZE = 100
RETRY_MAX_SECONDS = 300.0
ERROR_LENGTH = 1000


async def detect_pending(context: JobContext) -> int:
    """Test a batch of queued executions; answers how many were done."""
    return await process_pending(context.database, context.clock(), BATCH_SIZE)


Detect = Callable[[AsyncConnection, Sequence[int], datetime], Awaitable[object]]


async def process_pending(
    db: Database, now: datetime, batch_size: int, detect: Detect = detect_executions
) -> int:
    """One transaction for the whole batch; if it fails, each execution on its own, so that
    one that keeps failing is retried later (with backoff) without holding up the others."""
    try:
        async with db.transaction() as conn:
            claimed = await repo.take_pending(conn, now, batch_size)
            await detect(conn, claimed, now)
        return len(claimed)
    except Exception as exc:
        logger.warning("anomaly detection batch failed, retrying one by one: %s", exc)
    return await _process_one_by_one(db, now, batch_size, detect)


async def _process_one_by_one(db: Database, now: datetime, batch_size: int, detect: Detect) -> int:
    async with db.transaction() as conn:
        claimed = await repo.claim_pending(conn, now, batch_size)
    done = 0
    for execution_id in claimed:
        try:
            async with db.transaction() as conn:
                row = await repo.lock_pending(conn, execution_id)
                if row is None:  # another process took it meanwhile
                    continue
                await detect(conn, [execution_id], now)
                await repo.delete_pending(conn, [execution_id])
            done += 1
        except Exception as exc:
            await _record_failure(db, execution_id, now, exc)
    return done


async def _record_failure(db: Database, execution_id: int, now: datetime, exc: Exception) -> None:
    async with db.transaction() as conn:
        row = await repo.lock_pending(conn, execution_id)
        if row is None:
            return
        delay = retry_delay(row.attempts + 1, RETRY_MAX_SECONDS)
        logger.error(
            "anomaly detection of execution %s failed (attempt %s); next try in %.0f s",
            execution_id,
            row.attempts + 1,
            delay,
            exc_info=exc,
        )
        error = (str(exc) or type(exc).__name__)[:ERROR_LENGTH]
        await repo.record_pending_failure(conn, execution_id, error, now + timedelta(seconds=delay))
