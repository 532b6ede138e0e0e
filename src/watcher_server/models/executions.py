"""One row per pipeline run, nested under a parent run when it has one."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from watcher_server.db.types import BigId, JSONDocument, UTCDateTime
from watcher_server.models.base import Base
from watcher_server.models.pipelines import WATERMARK_LENGTH

IDEMPOTENCY_KEY_LENGTH = 255


class PipelineExecution(Base):
    __tablename__ = "pipeline_execution"
    __table_args__ = (
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="end_after_start"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="parent_not_self"),
        # Newest-first listing per pipeline, and the anomaly baseline scan.
        Index("ix_pipeline_execution_pipeline_id_start_date", "pipeline_id", "start_date"),
        # Sweeps over runs that started or ended in a window (timeliness, cleanup).
        Index("ix_pipeline_execution_start_date", "start_date"),
        Index("ix_pipeline_execution_parent_id", "parent_id"),
        # A retried start (same key) finds the run it already created instead of adding one.
        Index(
            "ux_pipeline_execution_pipeline_id_idempotency_key",
            "pipeline_id",
            "idempotency_key",
            unique=True,
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # RESTRICT rather than the default NO ACTION: the same guarantee for a key that never changes,
    # and PostgreSQL then skips a second lookup per deleted run, which halves log cleanup's cost.
    parent_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("pipeline_execution.id", ondelete="RESTRICT")
    )
    pipeline_id: Mapped[int] = mapped_column(BigId, ForeignKey("pipeline.id"))
    start_date: Mapped[datetime] = mapped_column(UTCDateTime)
    end_date: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # UTC calendar date and hour of start_date, kept as columns for reports and seasonality.
    date_recorded: Mapped[date] = mapped_column(Date)
    hour_recorded: Mapped[int] = mapped_column(Integer)
    duration_seconds: Mapped[int | None] = mapped_column(BigInteger)
    # NULL while running, then whether the run succeeded.
    completed_successfully: Mapped[bool | None] = mapped_column(Boolean)
    full_load: Mapped[bool | None] = mapped_column(Boolean)
    inserts: Mapped[int | None] = mapped_column(BigInteger)
    updates: Mapped[int | None] = mapped_column(BigInteger)
    soft_deletes: Mapped[int | None] = mapped_column(BigInteger)
    total_rows: Mapped[int | None] = mapped_column(BigInteger)
    throughput: Mapped[float | None] = mapped_column(Float)
    watermark: Mapped[str | None] = mapped_column(String(WATERMARK_LENGTH))
    next_watermark: Mapped[str | None] = mapped_column(String(WATERMARK_LENGTH))
    execution_metadata: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    anomaly_flags: Mapped[dict[str, bool] | None] = mapped_column(JSONDocument)
    idempotency_key: Mapped[str | None] = mapped_column(String(IDEMPOTENCY_KEY_LENGTH))
