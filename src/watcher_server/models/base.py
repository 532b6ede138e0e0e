"""The declarative base every table derives from, with constraint names fixed for migrations."""

import enum
from datetime import datetime

from sqlalchemy import MetaData, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from watcher_server.clock import utcnow
from watcher_server.db.types import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "ux_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class CreatedAt:
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=func.current_timestamp()
    )


class Timestamps(CreatedAt):
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DatePart(enum.StrEnum):
    """Calendar unit of a freshness or timeliness threshold; stored as the upper-case name."""

    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"

    @classmethod
    def _missing_(cls, value: object) -> "DatePart | None":
        # The original accepted any case ("MINUTE", "Hour"), so do we.
        if isinstance(value, str):
            return cls.__members__.get(value.strip().upper())
        return None
