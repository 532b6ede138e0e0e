"""Log cleanup: retention per kind of data finds timeliness rows and anomaly results by age.

With a retention of their own, both are deleted by their own time rather than only with their
run; an index on that time lets each cleanup batch read just the expired rows.

Revision ID: 0007_retention_per_kind
Revises: 0006_late_finish_index
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007_retention_per_kind"
down_revision: str | None = "0006_late_finish_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Index name: (table, column).
AGE_INDEXES = {
    "ix_timeliness_pipeline_execution_log_created_at": (
        "timeliness_pipeline_execution_log",
        "created_at",
    ),
    "ix_anomaly_detection_result_detected_at": ("anomaly_detection_result", "detected_at"),
}


def upgrade() -> None:
    for name, (table, column) in AGE_INDEXES.items():
        op.create_index(name, table, [column])


def downgrade() -> None:
    for name, (table, _) in AGE_INDEXES.items():
        op.drop_index(name, table_name=table)
