"""Anomaly detection: rules, results, and the executions waiting for detection.

Revision ID: 0005_anomalies
Revises: 0004_cleanup
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005_anomalies"
down_revision: str | None = "0004_cleanup"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

METRICS = ("DURATION_SECONDS", "INSERTS", "UPDATES", "SOFT_DELETES", "TOTAL_ROWS", "THROUGHPUT")
# Created explicitly below on PostgreSQL, so that both tables can share it.
metric = sa.Enum(*METRICS, name="anomalymetricfieldenum").with_variant(
    postgresql.ENUM(*METRICS, name="anomalymetricfieldenum", create_type=False), "postgresql"
)
big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
json_document = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
timestamp = sa.DateTime(timezone=True)


def _created_at() -> sa.Column:
    return sa.Column(
        "created_at", timestamp, server_default=sa.func.current_timestamp(), nullable=False
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        postgresql.ENUM(*METRICS, name="anomalymetricfieldenum").create(
            op.get_bind(), checkfirst=True
        )
    op.create_table(
        "anomaly_detection_rule",
        sa.Column("id", big_id, nullable=False),
        sa.Column("pipeline_id", big_id, nullable=False),
        sa.Column("metric_field", metric, nullable=False),
        sa.Column("z_threshold", sa.Float(), nullable=False),
        sa.Column("lookback_days", sa.Integer(), nullable=False),
        sa.Column("minimum_executions", sa.Integer(), nullable=False),
        sa.Column("seasonality", sa.String(20), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("updated_at", timestamp, nullable=True),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_anomaly_detection_rule"),
        sa.ForeignKeyConstraint(
            ["pipeline_id"], ["pipeline.id"], name="fk_anomaly_detection_rule_pipeline_id_pipeline"
        ),
        sa.UniqueConstraint(
            "pipeline_id", "metric_field", name="ux_anomaly_detection_rule_pipeline_id_metric_field"
        ),
        sa.CheckConstraint(
            "seasonality IN ('none', 'hour_of_day', 'day_of_week')",
            name="ck_anomaly_detection_rule_seasonality",
        ),
    )
    _create_results()
    op.create_table(
        "anomaly_detection_pending",
        sa.Column("pipeline_execution_id", big_id, autoincrement=False, nullable=False),
        sa.Column("next_attempt_at", timestamp, nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        _created_at(),
        sa.PrimaryKeyConstraint("pipeline_execution_id", name="pk_anomaly_detection_pending"),
        sa.ForeignKeyConstraint(
            ["pipeline_execution_id"],
            ["pipeline_execution.id"],
            name="fk_anomaly_pending_pipeline_execution_id",
        ),
    )
    op.create_index(
        "ix_anomaly_detection_pending_next_attempt_at",
        "anomaly_detection_pending",
        ["next_attempt_at"],
    )


def _create_results() -> None:
    op.create_table(
        "anomaly_detection_result",
        sa.Column("pipeline_execution_id", big_id, autoincrement=False, nullable=False),
        sa.Column("rule_id", big_id, autoincrement=False, nullable=False),
        sa.Column("pipeline_id", big_id, nullable=False),
        sa.Column("metric_field", metric, nullable=False),
        *(
            sa.Column(name, sa.Float(), nullable=False)
            for name in (
                "violation_value",
                "historical_mean",
                "std_deviation_value",
                "z_threshold",
                "threshold_min_value",
                "threshold_max_value",
            )
        ),
        sa.Column("z_score", sa.Float(), nullable=True),
        sa.Column("deviation_percentage", sa.Float(), nullable=True),
        sa.Column("confidence_score", sa.Float(), nullable=False),
        sa.Column("baseline_size", sa.Integer(), nullable=False),
        sa.Column("lookback_days", sa.Integer(), nullable=False),
        sa.Column("seasonality", sa.String(20), nullable=False),
        sa.Column("seasonality_bucket", sa.String(50), nullable=False),
        sa.Column("context", json_document, nullable=True),
        sa.Column("detected_at", timestamp, nullable=False),
        sa.PrimaryKeyConstraint(
            "pipeline_execution_id", "rule_id", name="pk_anomaly_detection_result"
        ),
        sa.ForeignKeyConstraint(
            ["pipeline_execution_id"],
            ["pipeline_execution.id"],
            name="fk_anomaly_result_pipeline_execution_id",
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["anomaly_detection_rule.id"], name="fk_anomaly_result_rule_id"
        ),
        sa.ForeignKeyConstraint(
            ["pipeline_id"],
            ["pipeline.id"],
            name="fk_anomaly_detection_result_pipeline_id_pipeline",
        ),
    )
    op.create_index(
        "ix_anomaly_detection_result_pipeline_id_detected_at",
        "anomaly_detection_result",
        ["pipeline_id", "detected_at"],
    )


def downgrade() -> None:
    op.drop_table("anomaly_detection_pending")
    op.drop_table("anomaly_detection_result")
    op.drop_table("anomaly_detection_rule")
    if op.get_bind().dialect.name == "postgresql":
        postgresql.ENUM(name="anomalymetricfieldenum").drop(op.get_bind(), checkfirst=True)
