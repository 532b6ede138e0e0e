"""The state of each background job, shared by every Watcher process on the database."""

from datetime import datetime
from typing import Any

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from watcher_server.db.types import JSONDocument, UTCDateTime
from watcher_server.models.base import Base, CreatedAt


class JobState(CreatedAt, Base):
    __tablename__ = "job_state"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    # Scheduled jobs: the cron time last claimed by a process. Claiming it is a compare-and-set
    # on this column, so each scheduled time runs once whichever process sees it first.
    last_fire_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "running", "succeeded" or "failed".
    last_status: Mapped[str | None] = mapped_column(String(20))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_result: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
