"""The timeliness check's index holds each run's duration too.

A busy server ends thousands of runs an hour. The late-finish query read every one of them from
the table to keep the few that ran long; with the duration in the index it reads only those.
The new index replaces the old one (same leading column, same cost per write).

Revision ID: 0006_late_finish_index
Revises: 0005_anomalies
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006_late_finish_index"
down_revision: str | None = "0005_anomalies"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = "ix_pipeline_execution_end_date"
NEW = "ix_pipeline_execution_end_date_duration_seconds"


def upgrade() -> None:
    op.create_index(NEW, "pipeline_execution", ["end_date", "duration_seconds"])
    op.drop_index(OLD, table_name="pipeline_execution")


def downgrade() -> None:
    op.create_index(OLD, "pipeline_execution", ["end_date"])
    op.drop_index(NEW, table_name="pipeline_execution")
