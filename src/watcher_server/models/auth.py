"""API keys: who may call Watcher, with which scope. Only a hash of each token is stored."""

from datetime import datetime

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from watcher_server.db.types import BigId, UTCDateTime
from watcher_server.models.base import Base, CreatedAt
from watcher_server.models.pipelines import NAME_LENGTH


class ApiKey(CreatedAt, Base):
    __tablename__ = "api_key"
    __table_args__ = (CheckConstraint("scope IN ('read', 'write', 'admin')", name="scope"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)
    # "read", "write" or "admin" (auth.scopes.Scope).
    scope: Mapped[str] = mapped_column(String(10))
    # SHA-256 of the token, hex: requests are matched on it, the token itself is never kept.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Written at most about once a minute per key (auth.service), not on every request.
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
