"""EXPLAIN of a SQLAlchemy statement on PostgreSQL, for the plan regression tests."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import ClauseElement, Executable
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.compiler import compiles

from watcher_server.db import Database


class Explain(Executable, ClauseElement):
    inherit_cache = False

    def __init__(self, statement: Any) -> None:
        self.statement = statement


@compiles(Explain, "postgresql")
def _explain(element: Explain, compiler: Any, **options: Any) -> str:
    return "EXPLAIN " + compiler.process(element.statement, **options)


async def plan(conn: AsyncConnection, statement: Any, parameters: dict[str, Any]) -> str:
    return "\n".join((await conn.execute(Explain(statement), parameters)).scalars())


@asynccontextmanager
async def rolled_back_connection(database_url: str) -> AsyncIterator[AsyncConnection]:
    """A PostgreSQL connection inside a transaction rolled back at the end, so that the rows a
    plan test writes (and the statistics it gathers on them) reach no other test."""
    if not database_url.startswith("postgresql"):
        pytest.skip("query plans are checked on PostgreSQL")
    database = Database(database_url, pool_size=1)
    try:
        async with database.engine.connect() as conn:
            transaction = await conn.begin()
            try:
                yield conn
            finally:
                await transaction.rollback()
    finally:
        await database.dispose()
