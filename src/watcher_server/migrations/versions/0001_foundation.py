"""Foundation: pipeline types, pipelines and their executions.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DATEPARTS = ("MINUTE", "HOUR", "DAY", "WEEK", "MONTH", "YEAR")
datepart = sa.Enum(*DATEPARTS, name="datepartenum").with_variant(
    postgresql.ENUM(*DATEPARTS, name="datepartenum", create_type=False), "postgresql"
)
big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
json_document = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
timestamp = sa.DateTime(timezone=True)


def _threshold_columns() -> list[sa.Column]:
    return [
        sa.Column("freshness_number", sa.Integer(), nullable=True),
        sa.Column("freshness_datepart", datepart, nullable=True),
        sa.Column("mute_freshness_check", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("timeliness_number", sa.Integer(), nullable=True),
        sa.Column("timeliness_datepart", datepart, nullable=True),
        sa.Column("mute_timeliness_check", sa.Boolean(), server_default=sa.false(), nullable=False),
    ]


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("updated_at", timestamp, nullable=True),
        sa.Column(
            "created_at", timestamp, server_default=sa.func.current_timestamp(), nullable=False
        ),
    ]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        postgresql.ENUM(*DATEPARTS, name="datepartenum").create(op.get_bind(), checkfirst=True)

    op.create_table(
        "pipeline_type",
        sa.Column("id", big_id, nullable=False),
        sa.Column("name", sa.String(150), nullable=False),
        *_threshold_columns(),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_pipeline_type"),
        sa.UniqueConstraint("name", name="ux_pipeline_type_name"),
    )
    op.create_table(
        "pipeline",
        sa.Column("id", big_id, nullable=False),
        sa.Column("name", sa.String(150), nullable=False),
        sa.Column("pipeline_type_id", big_id, nullable=False),
        sa.Column("watermark", sa.String(255), nullable=True),
        sa.Column("next_watermark", sa.String(255), nullable=True),
        sa.Column("pipeline_metadata", json_document, nullable=True),
        sa.Column("last_target_insert", timestamp, nullable=True),
        sa.Column("last_target_update", timestamp, nullable=True),
        sa.Column("last_target_soft_delete", timestamp, nullable=True),
        sa.Column("load_lineage", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("input_hash", sa.String(64), nullable=True),
        *_threshold_columns(),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_pipeline"),
        sa.UniqueConstraint("name", name="ux_pipeline_name"),
        sa.ForeignKeyConstraint(
            ["pipeline_type_id"],
            ["pipeline_type.id"],
            name="fk_pipeline_pipeline_type_id_pipeline_type",
        ),
    )
    op.create_index("ix_pipeline_pipeline_type_id", "pipeline", ["pipeline_type_id"])
    op.create_table(
        "pipeline_execution",
        sa.Column("id", big_id, nullable=False),
        sa.Column("parent_id", big_id, nullable=True),
        sa.Column("pipeline_id", big_id, nullable=False),
        sa.Column("start_date", timestamp, nullable=False),
        sa.Column("end_date", timestamp, nullable=True),
        sa.Column("date_recorded", sa.Date(), nullable=False),
        sa.Column("hour_recorded", sa.Integer(), nullable=False),
        sa.Column("duration_seconds", sa.BigInteger(), nullable=True),
        sa.Column("completed_successfully", sa.Boolean(), nullable=True),
        sa.Column("full_load", sa.Boolean(), nullable=True),
        sa.Column("inserts", sa.BigInteger(), nullable=True),
        sa.Column("updates", sa.BigInteger(), nullable=True),
        sa.Column("soft_deletes", sa.BigInteger(), nullable=True),
        sa.Column("total_rows", sa.BigInteger(), nullable=True),
        sa.Column("throughput", sa.Float(), nullable=True),
        sa.Column("watermark", sa.String(255), nullable=True),
        sa.Column("next_watermark", sa.String(255), nullable=True),
        sa.Column("execution_metadata", json_document, nullable=True),
        sa.Column("anomaly_flags", json_document, nullable=True),
        sa.Column("idempotency_key", sa.String(255), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_pipeline_execution"),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["pipeline_execution.id"],
            name="fk_pipeline_execution_parent_id_pipeline_execution",
        ),
        sa.ForeignKeyConstraint(
            ["pipeline_id"], ["pipeline.id"], name="fk_pipeline_execution_pipeline_id_pipeline"
        ),
        sa.CheckConstraint(
            "end_date IS NULL OR end_date >= start_date",
            name="ck_pipeline_execution_end_after_start",
        ),
        sa.CheckConstraint(
            "parent_id IS NULL OR parent_id <> id", name="ck_pipeline_execution_parent_not_self"
        ),
    )
    op.create_index(
        "ix_pipeline_execution_pipeline_id_start_date",
        "pipeline_execution",
        ["pipeline_id", "start_date"],
    )
    op.create_index("ix_pipeline_execution_start_date", "pipeline_execution", ["start_date"])
    op.create_index("ix_pipeline_execution_parent_id", "pipeline_execution", ["parent_id"])
    op.create_index(
        "ux_pipeline_execution_pipeline_id_idempotency_key",
        "pipeline_execution",
        ["pipeline_id", "idempotency_key"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_table("pipeline_execution")
    op.drop_table("pipeline")
    op.drop_table("pipeline_type")
    if op.get_bind().dialect.name == "postgresql":
        postgresql.ENUM(name="datepartenum").drop(op.get_bind(), checkfirst=True)
