"""Request and response bodies of POST /log_cleanup."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, Field

from watcher_server.common.schemas import AsInteger, Flag, RequestModel
from watcher_server.maintenance.limits import (
    DEFAULT_BATCH_SIZE,
    MAX_BATCH_SIZE,
    MAX_RETENTION_DAYS,
    MIN_KIND_RETENTION_DAYS,
    MIN_RETENTION_DAYS,
)
from watcher_server.maintenance.retention import KINDS, Retention, days_field

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

# A kind's own retention: a JSON integer (strict: not "30" or true), or null for the runs'.
KindRetentionDays = Annotated[
    int, Field(strict=True, ge=MIN_KIND_RETENTION_DAYS, le=MAX_RETENTION_DAYS), AsInteger
]
_DEFAULT = " At least 1; absent or null: retention_days."


class LogCleanupIn(RequestModel):
    retention_days: Annotated[
        int, Field(strict=True, ge=MIN_RETENTION_DAYS, le=MAX_RETENTION_DAYS), AsInteger
    ] = Field(
        description="Runs that started more than this many days ago are deleted (at least 90), "
        "with their timeliness log rows and anomaly results.",
    )
    timeliness_log_retention_days: KindRetentionDays | None = Field(
        default=None,
        description="Timeliness log rows (runs found overdue) written more than this many days "
        "ago go once their run has ended before the same cutoff: a row is how the check knows "
        "it already alerted." + _DEFAULT,
    )
    freshness_log_retention_days: KindRetentionDays | None = Field(
        default=None,
        description="Freshness episodes (stale pipelines) that began more than this many days "
        "ago go once resolved; an open episode stays." + _DEFAULT,
    )
    anomaly_result_retention_days: KindRetentionDays | None = Field(
        default=None,
        description="Anomaly results detected more than this many days ago go; the run keeps "
        "its anomaly flags." + _DEFAULT,
    )
    alert_retention_days: KindRetentionDays | None = Field(
        default=None,
        description="Alerts raised more than this many days ago go once their delivery is over "
        "(delivered, or undeliverable); an alert still pending never goes." + _DEFAULT,
    )
    batch_size: Annotated[int, Field(strict=True, ge=1, le=MAX_BATCH_SIZE), AsInteger] = Field(
        default=DEFAULT_BATCH_SIZE,
        description="Most rows deleted per transaction; each batch commits before the next "
        "starts, and batches are sized (from 1,000 up to this) to take about 80 ms each.",
    )
    dry_run: Flag = Field(
        default=False, description="Count what would be deleted, and delete nothing."
    )

    def retention(self) -> Retention:
        return Retention.named(self)


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
    cutoffs: dict[str, datetime] = Field(
        description="Per kind (runs, timeliness_log, freshness_log, anomaly_result, alert), the "
        "time before which its rows expired."
    )
    retention_days: int
    timeliness_log_retention_days: int
    freshness_log_retention_days: int
    anomaly_result_retention_days: int
    alert_retention_days: int
    batch_size: int
    batches: int = Field(description="Transactions committed (0 for a dry run).")
    duration_seconds: float

    @classmethod
    def from_report(cls, report: "CleanupReport") -> "LogCleanupOut":
        return cls(
            **report.counters,
            **{days_field(kind): report.retention.days(kind) for kind in KINDS},
            rows_deleted=report.rows,
            dry_run=report.dry_run,
            cutoff=report.cutoffs["runs"],
            cutoffs=report.cutoffs,
            batch_size=report.batch_size,
            batches=report.batches,
            duration_seconds=round(report.seconds, 3),
        )
