"""db.calendar agrees with the checks' Python arithmetic (monitoring.deadlines) on both
databases, to SQLite's millisecond."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import bindparam, select

from watcher_server.db import Database
from watcher_server.db.calendar import latest_of, plus_interval
from watcher_server.db.types import UTCDateTime
from watcher_server.models.base import DatePart
from watcher_server.models.pipelines import datepart_enum
from watcher_server.monitoring.deadlines import add_interval

CASES = [
    (datetime(2026, 1, 31, 10, 0, 0, 123000, tzinfo=UTC), 1, DatePart.MONTH),
    (datetime(2024, 2, 29, 23, 59, tzinfo=UTC), 1, DatePart.YEAR),
    (datetime(2026, 3, 28, 1, 0, tzinfo=UTC), 2, DatePart.DAY),  # a DST weekend in Europe
    (datetime(2026, 3, 28, 1, 0, tzinfo=UTC), 90, DatePart.MINUTE),
    (datetime(2026, 3, 28, 1, 0, tzinfo=UTC), 3, DatePart.WEEK),
    (datetime(2026, 12, 31, 23, 0, tzinfo=UTC), 5, DatePart.HOUR),
    (datetime(2026, 3, 31, 1, 0, tzinfo=UTC), 11, DatePart.MONTH),
    (datetime(2026, 5, 31, 1, 0, tzinfo=UTC), 13, DatePart.MONTH),
]


@pytest.fixture
async def database(database_url: str):
    db = Database(database_url)
    yield db
    await db.dispose()


async def test_plus_interval_matches_the_checks(database: Database) -> None:
    statement = select(
        plus_interval(
            bindparam("moment", type_=UTCDateTime()),
            bindparam("number"),
            bindparam("datepart", type_=datepart_enum),
        )
    )
    async with database.transaction() as conn:
        for moment, number, datepart in CASES:
            parameters = {"moment": moment, "number": number, "datepart": datepart}
            got = (await conn.execute(statement, parameters)).scalar()
            assert got == add_interval(moment, number, datepart), (moment, number, datepart)
        centuries = {"moment": CASES[0][0], "number": 301, "datepart": DatePart.YEAR}
        assert (await conn.execute(statement, centuries)).scalar() is None


async def test_latest_of_ignores_nulls(database: Database) -> None:
    moments = [bindparam(name, type_=UTCDateTime()) for name in "abc"]
    statement = select(latest_of(*moments))
    early, late = datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
    async with database.transaction() as conn:
        assert (await conn.execute(statement, {"a": None, "b": late, "c": early})).scalar() == late
        assert (await conn.execute(statement, {"a": early, "b": None, "c": None})).scalar() == early
        assert (await conn.execute(statement, {"a": None, "b": None, "c": None})).scalar() is None
        later = late + timedelta(seconds=1)
        assert (
            await conn.execute(statement, {"a": late, "b": later, "c": early})
        ).scalar() == later
