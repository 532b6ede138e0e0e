"""Request and response bodies of POST /log_cleanup."""

from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from watcher_server.common.schemas import RequestModel
from watcher_server.maintenance.limits import (
    DEFAULT_BATCH_SIZE,
    MAX_BATCH_SIZE,
    MAX_RETENTION_DAYS,
    MIN_RETENTION_DAYS,
)

if TYPE_CHECKING:
    from watcher_server.maintenance.service import CleanupReport

# The counters the original Watcher answered (SEED had four, HEAD added the two closure ones).
SEED_COUNTERS = (
    "total_pipeline_executions_deleted",
    "total_timeliness_pipeline_execution_logs_deleted",
    "total_anomaly_detection_results_deleted",
    "total_pipeline_execution_closure_parent_deleted",
    "total_pipeline_execution_closure_child_deleted",
    "total_freshness_pipeline_logs_deleted",
)


class LogCleanupIn(RequestModel):
    retention_days: int = Field(
        ge=MIN_RETENTION_DAYS,
        le=MAX_RETENTION_DAYS,
        description="Runs that started more than this many days ago are deleted (at least 90).",
    )
    batch_size: int = Field(
        default=DEFAULT_BATCH_SIZE,
        ge=1,
        le=MAX_BATCH_SIZE,
        description="Most rows deleted per transaction; each batch commits before the next "
        "starts, and batches are sized (from 1,000 up to this) to take about 80 ms each.",
    )
    dry_run: bool = Field(
        default=False, description="Count what would be deleted, and delete nothing."
    )


class LogCleanupOut(BaseModel):
    total_pipeline_executions_deleted: int
    total_timeliness_pipeline_execution_logs_deleted: int
    total_anomaly_detection_results_deleted: int
    total_pipeline_execution_closure_parent_deleted: int = Field(
        description="Always 0: runs are nested through pipeline_execution.parent_id, and there "
        "is no closure table to clean. Kept for clients of the original Watcher."
    )
    total_pipeline_execution_closure_child_deleted: int = Field(
        description="Always 0, as total_pipeline_execution_closure_parent_deleted."
    )
    total_freshness_pipeline_logs_deleted: int
    rows_deleted: dict[str, int] = Field(
        description="Rows deleted per table (with dry_run: rows that would be deleted)."
    )
    dry_run: bool
    cutoff: datetime = Field(description="Runs that started before this time were deleted.")
    retention_days: int
    batch_size: int
    batches: int = Field(description="Transactions committed (0 for a dry run).")
    duration_seconds: float

    @classmethod
    def from_report(cls, report: "CleanupReport") -> "LogCleanupOut":
        return cls(
            **report.counters,
            rows_deleted=report.rows,
            dry_run=report.dry_run,
            cutoff=report.cutoff,
            retention_days=report.retention_days,
            batch_size=report.batch_size,
            batches=report.batches,
            duration_seconds=round(report.seconds, 3),
        )
