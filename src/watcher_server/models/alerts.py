"""The alert outbox: alerts written with the finding that caused them, and their deliveries."""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from watcher_server.db.types import BigId, JSONDocument, UTCDateTime
from watcher_server.models.base import Base, CreatedAt

ALERT_TITLE_LENGTH = 200
ALERT_SUBJECT_LENGTH = 200


class Alert(CreatedAt, Base):
    __tablename__ = "alert"
    __table_args__ = (Index("ix_alert_created_at", "created_at"),)  # log cleanup

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(ALERT_TITLE_LENGTH))
    message: Mapped[str] = mapped_column(Text)
    # [[key, value], ...]: a list, because JSONB does not keep the order of object keys.
    details: Mapped[list[Any] | None] = mapped_column(JSONDocument)
    pipeline_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("pipeline.id"), index=True)
    # What the alert is about, e.g. "pipeline_execution:42"; lets readers group alerts.
    subject: Mapped[str | None] = mapped_column(String(ALERT_SUBJECT_LENGTH))
    # When the delivery job gave the alert one delivery per configured channel.
    routed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class AlertDelivery(CreatedAt, Base):
    """One alert to one channel: retried with backoff until the channel accepts it."""

    __tablename__ = "alert_delivery"
    __table_args__ = (
        UniqueConstraint("alert_id", "channel"),
        Index("ix_alert_delivery_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    alert_id: Mapped[int] = mapped_column(BigId, ForeignKey("alert.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(50))
    # "pending" until a channel answers 2xx, then "delivered".
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
