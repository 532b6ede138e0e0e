"""Monitoring: timeliness and freshness logs, the alert outbox and the background jobs' state.

Revision ID: 0003_monitoring
Revises: 0002_lineage
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003_monitoring"
down_revision: str | None = "0002_lineage"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DATEPARTS = ("MINUTE", "HOUR", "DAY", "WEEK", "MONTH", "YEAR")
# The type itself belongs to revision 0001.
datepart = sa.Enum(*DATEPARTS, name="datepartenum").with_variant(
    postgresql.ENUM(*DATEPARTS, name="datepartenum", create_type=False), "postgresql"
)
big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
json_document = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
timestamp = sa.DateTime(timezone=True)


def _created_at() -> sa.Column:
    return sa.Column(
        "created_at", timestamp, server_default=sa.func.current_timestamp(), nullable=False
    )


def upgrade() -> None:
    op.create_index("ix_pipeline_execution_end_date", "pipeline_execution", ["end_date"])
    _create_monitoring_logs()
    _create_outbox()
    op.create_table(
        "job_state",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("last_fire_at", timestamp, nullable=True),
        sa.Column("last_started_at", timestamp, nullable=True),
        sa.Column("last_finished_at", timestamp, nullable=True),
        sa.Column("last_status", sa.String(20), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_result", json_document, nullable=True),
        _created_at(),
        sa.PrimaryKeyConstraint("name", name="pk_job_state"),
    )


def _create_monitoring_logs() -> None:
    op.create_table(
        "timeliness_pipeline_execution_log",
        sa.Column("pipeline_execution_id", big_id, autoincrement=False, nullable=False),
        sa.Column("pipeline_id", big_id, nullable=False),
        sa.Column("execution_status", sa.String(20), nullable=False),
        sa.Column("duration_seconds", sa.BigInteger(), nullable=False),
        sa.Column("seconds_threshold", sa.BigInteger(), nullable=False),
        sa.Column("deadline_at", timestamp, nullable=False),
        sa.Column("timely_number", sa.Integer(), nullable=False),
        sa.Column("timely_datepart", datepart, nullable=False),
        sa.Column("used_child_config", sa.Boolean(), nullable=False),
        _created_at(),
        sa.PrimaryKeyConstraint(
            "pipeline_execution_id", name="pk_timeliness_pipeline_execution_log"
        ),
        sa.ForeignKeyConstraint(
            ["pipeline_execution_id"],
            ["pipeline_execution.id"],
            name="fk_timeliness_log_pipeline_execution_id",
        ),
        sa.ForeignKeyConstraint(
            ["pipeline_id"],
            ["pipeline.id"],
            name="fk_timeliness_pipeline_execution_log_pipeline_id_pipeline",
        ),
    )
    op.create_index(
        "ix_timeliness_pipeline_execution_log_pipeline_id_created_at",
        "timeliness_pipeline_execution_log",
        ["pipeline_id", "created_at"],
    )
    op.create_table(
        "freshness_pipeline_log",
        sa.Column("id", big_id, nullable=False),
        sa.Column("pipeline_id", big_id, nullable=False),
        sa.Column("last_dml_timestamp", timestamp, nullable=True),
        sa.Column("measured_from", timestamp, nullable=False),
        sa.Column("deadline_at", timestamp, nullable=False),
        sa.Column("evaluation_timestamp", timestamp, nullable=False),
        sa.Column("freshness_number", sa.Integer(), nullable=False),
        sa.Column("freshness_datepart", datepart, nullable=False),
        sa.Column("used_child_config", sa.Boolean(), nullable=False),
        sa.Column("resolved_at", timestamp, nullable=True),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_freshness_pipeline_log"),
        sa.ForeignKeyConstraint(
            ["pipeline_id"], ["pipeline.id"], name="fk_freshness_pipeline_log_pipeline_id_pipeline"
        ),
        sa.UniqueConstraint(
            "pipeline_id",
            "measured_from",
            name="ux_freshness_pipeline_log_pipeline_id_measured_from",
        ),
    )


def _create_outbox() -> None:
    op.create_table(
        "alert",
        sa.Column("id", big_id, nullable=False),
        sa.Column("kind", sa.String(100), nullable=False),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("details", json_document, nullable=True),
        sa.Column("pipeline_id", big_id, nullable=True),
        sa.Column("subject", sa.String(200), nullable=True),
        sa.Column("routed_at", timestamp, nullable=True),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_alert"),
        sa.ForeignKeyConstraint(
            ["pipeline_id"], ["pipeline.id"], name="fk_alert_pipeline_id_pipeline"
        ),
    )
    op.create_index("ix_alert_pipeline_id", "alert", ["pipeline_id"])
    op.create_index("ix_alert_routed_at", "alert", ["routed_at"])
    op.create_table(
        "alert_delivery",
        sa.Column("id", big_id, nullable=False),
        sa.Column("alert_id", big_id, nullable=False),
        sa.Column("channel", sa.String(50), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", timestamp, nullable=False),
        sa.Column("last_attempt_at", timestamp, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", timestamp, nullable=True),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_alert_delivery"),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alert.id"], name="fk_alert_delivery_alert_id_alert", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("alert_id", "channel", name="ux_alert_delivery_alert_id_channel"),
    )
    op.create_index(
        "ix_alert_delivery_status_next_attempt_at", "alert_delivery", ["status", "next_attempt_at"]
    )


def downgrade() -> None:
    op.drop_table("job_state")
    op.drop_table("alert_delivery")
    op.drop_table("alert")
    op.drop_table("freshness_pipeline_log")
    op.drop_table("timeliness_pipeline_execution_log")
    op.drop_index("ix_pipeline_execution_end_date", table_name="pipeline_execution")
