"""Anomaly detection: the rules, what they found, and the executions still to be tested."""

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from watcher_server.db.types import BigId, JSONDocument, UTCDateTime
from watcher_server.models.base import Base, CreatedAt, Timestamps


class AnomalyMetric(enum.StrEnum):
    """A measure of an execution that a rule watches; stored as the upper-case name."""

    DURATION_SECONDS = "duration_seconds"
    INSERTS = "inserts"
    UPDATES = "updates"
    SOFT_DELETES = "soft_deletes"
    TOTAL_ROWS = "total_rows"
    THROUGHPUT = "throughput"

    @classmethod
    def _missing_(cls, value: object) -> "AnomalyMetric | None":
        if isinstance(value, str):
            return cls.__members__.get(value.strip().upper())
        return None


class Seasonality(enum.StrEnum):
    """Which past executions a run is compared with."""

    NONE = "none"  # every successful run in the lookback window
    HOUR_OF_DAY = "hour_of_day"  # runs that started in the same UTC hour
    DAY_OF_WEEK = "day_of_week"  # runs that started on the same UTC weekday


metric_enum = Enum(AnomalyMetric, name="anomalymetricfieldenum")
SEASONALITY_LENGTH = 20


class AnomalyDetectionRule(Timestamps, Base):
    """At most one rule per (pipeline, metric)."""

    __tablename__ = "anomaly_detection_rule"
    __table_args__ = (
        UniqueConstraint("pipeline_id", "metric_field"),
        CheckConstraint(
            "seasonality IN ('none', 'hour_of_day', 'day_of_week')", name="seasonality"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    pipeline_id: Mapped[int] = mapped_column(BigId, ForeignKey("pipeline.id"))
    metric_field: Mapped[AnomalyMetric] = mapped_column(metric_enum)
    # A run is anomalous when it lies more than z_threshold sample standard deviations from
    # the baseline's mean (the original's std_deviation_threshold_multiplier).
    z_threshold: Mapped[float] = mapped_column(Float)
    lookback_days: Mapped[int] = mapped_column(Integer)
    minimum_executions: Mapped[int] = mapped_column(Integer)
    seasonality: Mapped[str] = mapped_column(String(SEASONALITY_LENGTH))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class AnomalyDetectionResult(Base):
    """An anomaly a rule found in an execution (normal outcomes are not stored)."""

    __tablename__ = "anomaly_detection_result"
    __table_args__ = (
        # GET /anomaly_detection_result?pipeline_id=…, newest first.
        Index("ix_anomaly_detection_result_pipeline_id_detected_at", "pipeline_id", "detected_at"),
        Index("ix_anomaly_detection_result_detected_at", "detected_at"),  # log cleanup
    )

    pipeline_execution_id: Mapped[int] = mapped_column(
        BigId,
        # The conventional name would exceed PostgreSQL's 63 characters.
        ForeignKey("pipeline_execution.id", name="fk_anomaly_result_pipeline_execution_id"),
        primary_key=True,
        autoincrement=False,
    )
    rule_id: Mapped[int] = mapped_column(
        BigId,
        ForeignKey("anomaly_detection_rule.id", name="fk_anomaly_result_rule_id"),
        primary_key=True,
        autoincrement=False,
    )
    pipeline_id: Mapped[int] = mapped_column(BigId, ForeignKey("pipeline.id"))
    metric_field: Mapped[AnomalyMetric] = mapped_column(metric_enum)
    violation_value: Mapped[float] = mapped_column(Float)
    historical_mean: Mapped[float] = mapped_column(Float)
    std_deviation_value: Mapped[float] = mapped_column(Float)
    z_threshold: Mapped[float] = mapped_column(Float)
    threshold_min_value: Mapped[float] = mapped_column(Float)
    threshold_max_value: Mapped[float] = mapped_column(Float)
    # Null when the baseline is constant (stddev = 0): any other value is then anomalous.
    z_score: Mapped[float | None] = mapped_column(Float)
    # Null when the baseline's mean is 0.
    deviation_percentage: Mapped[float | None] = mapped_column(Float)
    confidence_score: Mapped[float] = mapped_column(Float)
    baseline_size: Mapped[int] = mapped_column(Integer)
    lookback_days: Mapped[int] = mapped_column(Integer)
    seasonality: Mapped[str] = mapped_column(String(SEASONALITY_LENGTH))
    # e.g. "all", "hour 14 UTC", "monday".
    seasonality_bucket: Mapped[str] = mapped_column(String(50))
    context: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AnomalyDetectionPending(CreatedAt, Base):
    """A successful execution whose detection has not run yet: written by the end call, in its
    transaction, and deleted by the detection job in the transaction that stores the results."""

    __tablename__ = "anomaly_detection_pending"
    __table_args__ = (Index("ix_anomaly_detection_pending_next_attempt_at", "next_attempt_at"),)

    pipeline_execution_id: Mapped[int] = mapped_column(
        BigId,
        ForeignKey("pipeline_execution.id", name="fk_anomaly_pending_pipeline_execution_id"),
        primary_key=True,
        autoincrement=False,
    )
    # When the job may take it: the end time, later after a failed attempt (backoff).
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
