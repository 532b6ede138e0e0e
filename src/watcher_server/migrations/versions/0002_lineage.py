"""Lineage: address types, addresses, lineage edges and their closure.

Revision ID: 0002_lineage
Revises: 0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002_lineage"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
json_document = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
timestamp = sa.DateTime(timezone=True)


def _created_at() -> sa.Column:
    return sa.Column(
        "created_at", timestamp, server_default=sa.func.current_timestamp(), nullable=False
    )


def _timestamps() -> list[sa.Column]:
    return [sa.Column("updated_at", timestamp, nullable=True), _created_at()]


def upgrade() -> None:
    op.create_table(
        "address_type",
        sa.Column("id", big_id, nullable=False),
        sa.Column("name", sa.String(150), nullable=False),
        sa.Column("group_name", sa.String(150), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_address_type"),
        sa.UniqueConstraint("name", name="ux_address_type_name"),
    )
    op.create_table(
        "address",
        sa.Column("id", big_id, nullable=False),
        sa.Column("name", sa.String(150), nullable=False),
        sa.Column("address_type_id", big_id, nullable=False),
        sa.Column("database_name", sa.String(150), nullable=True),
        sa.Column("schema_name", sa.String(150), nullable=True),
        sa.Column("table_name", sa.String(150), nullable=True),
        sa.Column("primary_key", sa.String(150), nullable=True),
        sa.Column("address_metadata", json_document, nullable=True),
        sa.Column("input_hash", sa.String(64), nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_address"),
        sa.UniqueConstraint("name", name="ux_address_name"),
        sa.ForeignKeyConstraint(
            ["address_type_id"], ["address_type.id"], name="fk_address_address_type_id_address_type"
        ),
    )
    op.create_index("ix_address_address_type_id", "address", ["address_type_id"])
    op.create_table(
        "address_lineage",
        sa.Column("id", big_id, nullable=False),
        sa.Column("pipeline_id", big_id, nullable=False),
        sa.Column("source_address_id", big_id, nullable=False),
        sa.Column("target_address_id", big_id, nullable=False),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_address_lineage"),
        sa.UniqueConstraint(
            "pipeline_id",
            "source_address_id",
            "target_address_id",
            name="ux_address_lineage_pipeline_source_target",
        ),
        sa.ForeignKeyConstraint(
            ["pipeline_id"], ["pipeline.id"], name="fk_address_lineage_pipeline_id_pipeline"
        ),
        sa.ForeignKeyConstraint(
            ["source_address_id"],
            ["address.id"],
            name="fk_address_lineage_source_address_id_address",
        ),
        sa.ForeignKeyConstraint(
            ["target_address_id"],
            ["address.id"],
            name="fk_address_lineage_target_address_id_address",
        ),
    )
    op.create_index(
        "ix_address_lineage_source_target",
        "address_lineage",
        ["source_address_id", "target_address_id"],
    )
    op.create_index(
        "ix_address_lineage_target_source",
        "address_lineage",
        ["target_address_id", "source_address_id"],
    )
    op.create_table(
        "address_lineage_closure",
        sa.Column("source_address_id", big_id, nullable=False),
        sa.Column("target_address_id", big_id, nullable=False),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "source_address_id",
            "target_address_id",
            name="pk_address_lineage_closure",
            postgresql_include=["depth"],
        ),
        sa.CheckConstraint("depth >= 1", name="ck_address_lineage_closure_depth_positive"),
    )
    op.create_index(
        "ix_address_lineage_closure_target_source",
        "address_lineage_closure",
        ["target_address_id", "source_address_id"],
        postgresql_include=["depth"],
    )


def downgrade() -> None:
    op.drop_table("address_lineage_closure")
    op.drop_table("address_lineage")
    op.drop_table("address")
    op.drop_table("address_type")
