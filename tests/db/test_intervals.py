"""Timestamp arithmetic in SQL gives the same answer on both databases."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import BigInteger, literal, select

from watcher_server.db import Database
from watcher_server.db.intervals import seconds_before
from watcher_server.settings import Settings

NOW = datetime(2026, 3, 1, 12, 0, 0, 250000, tzinfo=UTC)


async def test_seconds_before(settings: Settings) -> None:
    database = Database(settings.database_url)
    try:
        async with database.transaction() as conn:

            async def minus(seconds: int) -> datetime:
                statement = select(seconds_before(NOW, literal(seconds, BigInteger())))
                return (await conn.execute(statement)).scalar_one()

            assert await minus(3600) == NOW - timedelta(hours=1)
            assert await minus(28 * 86400) == datetime(2026, 2, 1, 12, 0, 0, 250000, tzinfo=UTC)
            # Far beyond any threshold: capped (about 317 years), never an error.
            assert (await minus(2**62)).year == 1709
    finally:
        await database.dispose()
