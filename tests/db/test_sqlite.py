"""SQLite's transactions as Watcher drives them: the write lock is taken before the first
statement runs, whether its rows are fetched at once or streamed."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from watcher_server.db import Database


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'locks.db'}")
    try:
        yield db
    finally:
        await db.dispose()


async def driver_in_transaction(conn: AsyncConnection) -> bool:
    raw = await conn.get_raw_connection()
    return raw.driver_connection.in_transaction


async def test_a_streamed_first_read_runs_inside_the_transaction(database: Database) -> None:
    async with database.transaction() as conn:
        result = await conn.stream(text("SELECT 1"))
        assert [row async for row in result] == [(1,)]
        assert await driver_in_transaction(conn)


async def test_a_first_statement_runs_inside_the_transaction(database: Database) -> None:
    async with database.transaction() as conn:
        assert (await conn.execute(text("SELECT 1"))).scalar() == 1
        assert await driver_in_transaction(conn)
    async with database.autocommit() as conn:  # each statement commits alone: no transaction
        assert (await conn.execute(text("SELECT 1"))).scalar() == 1
        assert not await driver_in_transaction(conn)
