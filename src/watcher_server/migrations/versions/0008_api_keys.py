"""Access control: the api_key table (a name, a scope, the SHA-256 of the token, its dates).

Revision ID: 0008_api_keys
Revises: 0007_retention_per_kind
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_api_keys"
down_revision: str | None = "0007_retention_per_kind"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "api_key",
        sa.Column("id", big_id, nullable=False),
        sa.Column("name", sa.String(150), nullable=False),
        sa.Column("scope", sa.String(10), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("expires_at", timestamp, nullable=True),
        sa.Column("last_used_at", timestamp, nullable=True),
        sa.Column("revoked_at", timestamp, nullable=True),
        sa.Column(
            "created_at", timestamp, server_default=sa.func.current_timestamp(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="pk_api_key"),
        sa.UniqueConstraint("name", name="ux_api_key_name"),
        sa.UniqueConstraint("token_hash", name="ux_api_key_token_hash"),
        sa.CheckConstraint("scope IN ('read', 'write', 'admin')", name="ck_api_key_scope"),
    )


def downgrade() -> None:
    op.drop_table("api_key")
