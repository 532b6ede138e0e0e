"""What the timeliness and freshness checks found: one row per episode."""

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from watcher_server.db.types import BigId, UTCDateTime
from watcher_server.models.base import Base, CreatedAt, DatePart
from watcher_server.models.executions import PipelineExecution
from watcher_server.models.pipelines import datepart_enum

# The timeliness check reads the runs still going (end_date IS NULL, whatever their start) and
# the runs that ended inside its lookback window long enough to be late; both are ranges of this
# one index, and the duration in it leaves the many short runs of a busy window unread.
Index(
    "ix_pipeline_execution_end_date_duration_seconds",
    PipelineExecution.__table__.c.end_date,
    PipelineExecution.__table__.c.duration_seconds,
)


class TimelinessPipelineExecutionLog(CreatedAt, Base):
    """An execution found overdue: at most one row per execution, ever."""

    __tablename__ = "timeliness_pipeline_execution_log"
    __table_args__ = (
        Index(
            "ix_timeliness_pipeline_execution_log_pipeline_id_created_at",
            "pipeline_id",
            "created_at",
        ),
        Index("ix_timeliness_pipeline_execution_log_created_at", "created_at"),  # log cleanup
    )

    pipeline_execution_id: Mapped[int] = mapped_column(
        BigId,
        # The conventional name would exceed PostgreSQL's 63 characters.
        ForeignKey("pipeline_execution.id", name="fk_timeliness_log_pipeline_execution_id"),
        primary_key=True,
        autoincrement=False,
    )
    pipeline_id: Mapped[int] = mapped_column(BigId, ForeignKey("pipeline.id"))
    # "running" when it was found still going, "completed" when it finished late.
    execution_status: Mapped[str] = mapped_column(String(20))
    duration_seconds: Mapped[int] = mapped_column(BigInteger)
    seconds_threshold: Mapped[int] = mapped_column(BigInteger)
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime)
    timely_number: Mapped[int] = mapped_column(Integer)
    timely_datepart: Mapped[DatePart] = mapped_column(datepart_enum)
    used_child_config: Mapped[bool] = mapped_column(Boolean)


class FreshnessPipelineLog(CreatedAt, Base):
    """A pipeline gone stale: one row per (pipeline, time its threshold counts from)."""

    __tablename__ = "freshness_pipeline_log"
    __table_args__ = (
        UniqueConstraint("pipeline_id", "measured_from"),
        Index("ix_freshness_pipeline_log_created_at", "created_at"),  # log cleanup
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    pipeline_id: Mapped[int] = mapped_column(BigId, ForeignKey("pipeline.id"))
    # The latest of last_target_insert/update/soft_delete; null when it never loaded anything.
    last_dml_timestamp: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last DML, or the pipeline's creation when it never loaded: the threshold counts from it.
    measured_from: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime)
    evaluation_timestamp: Mapped[datetime] = mapped_column(UTCDateTime)
    freshness_number: Mapped[int] = mapped_column(Integer)
    freshness_datepart: Mapped[DatePart] = mapped_column(datepart_enum)
    used_child_config: Mapped[bool] = mapped_column(Boolean)
    # When a check found the pipeline fresh again (null while the episode lasts).
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
