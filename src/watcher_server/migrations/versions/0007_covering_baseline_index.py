"""On PostgreSQL, the per-pipeline index carries what an anomaly baseline reads.

Each detection reads the latest 100 successful runs of the tested run's pipeline. Through the
plain (pipeline_id, start_date) index that was 100 table pages per run, scattered across a
table larger than memory; with the metrics, flags and filters in the index it is an index-only
walk of a few pages. Same index, same name, wider entries: a run's start and end already write
an entry in it (the end changes indexed columns, so it is never a HOT update), and no other
index is added. SQLite has no INCLUDE and keeps the plain index.

Revision ID: 0007_covering_baseline_index
Revises: 0006_late_finish_index
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007_covering_baseline_index"
down_revision: str | None = "0006_late_finish_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_pipeline_execution_pipeline_id_start_date"
KEYS = ["pipeline_id", "start_date"]
# As in models.executions.BASELINE_COLUMNS at this revision.
INCLUDED = [
    "id",
    "completed_successfully",
    "hour_recorded",
    "date_recorded",
    "anomaly_flags",
    "duration_seconds",
    "inserts",
    "updates",
    "soft_deletes",
    "total_rows",
    "throughput",
]


def _rebuild(**options: list[str]) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index(NAME, table_name="pipeline_execution")
    op.create_index(NAME, "pipeline_execution", KEYS, **options)


def upgrade() -> None:
    _rebuild(postgresql_include=INCLUDED)


def downgrade() -> None:
    _rebuild()
