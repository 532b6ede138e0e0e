"""Insert-if-absent, the one statement get-or-create needs to be race free."""

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def upsertable_insert(conn: AsyncConnection, table: Table) -> Any:
    """An INSERT on `table` that supports ON CONFLICT in the connection's dialect."""
    return _INSERTS[conn.dialect.name](table)


async def insert_if_absent(
    conn: AsyncConnection, table: Table, values: dict[str, Any], unique_on: list[str]
) -> int | None:
    """Insert a row unless one with the same `unique_on` values exists; the new id, else None.

    Concurrent callers never fail on the unique index: the losers get None and read the
    winner's row afterwards.
    """
    statement = (
        upsertable_insert(conn, table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=unique_on)
        .returning(table.c.id)
    )
    return (await conn.execute(statement)).scalar_one_or_none()
