"""The daily report: per pipeline and UTC day, the sums of its ended runs, filled from the runs
already recorded.

Revision ID: 0009_daily_totals
Revises: 0008_api_keys
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_daily_totals"
down_revision: str | None = "0008_api_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
SUMS = ("runs", "failed", "inserts", "updates", "soft_deletes", "total_rows", "duration_seconds")

# The same sums a run's end adds (reports.repository), over every ended run at once.
BACKFILL = """
INSERT INTO pipeline_daily_totals (pipeline_id, day, runs, failed, inserts, updates,
    soft_deletes, total_rows, duration_seconds, throughput_sum, throughput_runs)
SELECT pipeline_id, date_recorded, count(*),
    sum(CASE WHEN completed_successfully THEN 0 ELSE 1 END),
    sum(coalesce(inserts, 0)), sum(coalesce(updates, 0)), sum(coalesce(soft_deletes, 0)),
    sum(coalesce(total_rows, 0)), sum(coalesce(duration_seconds, 0)),
    sum(coalesce(throughput, 0)), count(throughput)
FROM pipeline_execution
WHERE end_date IS NOT NULL
GROUP BY pipeline_id, date_recorded
"""


def upgrade() -> None:
    op.create_table(
        "pipeline_daily_totals",
        sa.Column("pipeline_id", big_id, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in SUMS),
        sa.Column("throughput_sum", sa.Float(), nullable=False),
        sa.Column("throughput_runs", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pipeline_id"], ["pipeline.id"], name="fk_pipeline_daily_totals_pipeline_id_pipeline"
        ),
        sa.PrimaryKeyConstraint("pipeline_id", "day", name="pk_pipeline_daily_totals"),
    )
    op.create_index(
        "ix_pipeline_daily_totals_day_pipeline_id", "pipeline_daily_totals", ["day", "pipeline_id"]
    )
    op.execute(BACKFILL)


def downgrade() -> None:
    op.drop_index("ix_pipeline_daily_totals_day_pipeline_id", table_name="pipeline_daily_totals")
    op.drop_table("pipeline_daily_totals")
