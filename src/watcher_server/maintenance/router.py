"""HTTP route of log cleanup."""

from fastapi import APIRouter

from watcher_server.common.responses import errors
from watcher_server.deps import DatabaseDep, NowDep
from watcher_server.maintenance import service
from watcher_server.maintenance.schemas import LogCleanupIn, LogCleanupOut

router = APIRouter(tags=["maintenance"])


@router.post("/log_cleanup", response_model=LogCleanupOut, responses=errors(409))
async def log_cleanup(body: LogCleanupIn, db: DatabaseDep, now: NowDep) -> LogCleanupOut:
    """Delete runs that started more than `retention_days` ago, with what belongs to them.

    Timeliness log rows, freshness episodes, anomaly results and delivered alerts also go after
    their own `*_retention_days` (by default `retention_days`). Runs still going are kept, and
    so is a run with any nested run still going or younger than the cutoff. Deletes in batches
    of `batch_size`, each committed on its own and followed by a rest three times as long as the
    batch took, so pipelines keep writing meanwhile; the answer counts what is already gone.
    Pipelines, their watermarks and configuration are never touched. With `dry_run`, counts and
    deletes nothing.
    """
    report = await service.clean_logs(
        db, now, body.retention(), body.batch_size, dry_run=body.dry_run
    )
    return LogCleanupOut.from_report(report)
