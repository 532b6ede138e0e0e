"""Insert-if-absent, the one statement get-or-create needs to be race free, and the
keep-the-minimum upsert the lineage closure is maintained with."""

from typing import Any

from sqlalchemy import Insert, Select, Table, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


async def insert_if_absent(
    conn: AsyncConnection, table: Table, values: dict[str, Any], unique_on: list[str]
) -> int | None:
    """Insert a row unless one with the same `unique_on` values exists; the new id, else None.

    Concurrent callers never fail on the unique index: the losers get None and read the
    winner's row afterwards.
    """
    statement = (
        _INSERTS[conn.dialect.name](table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=unique_on)
        .returning(table.c.id)
    )
    return (await conn.execute(statement)).scalar_one_or_none()


def keep_min_upsert(
    dialect: str, table: Table, rows: Select[Any], key: list[str], column: str
) -> Insert:
    """INSERT … SELECT `rows` into `table`; where `key` already exists keep the smaller `column`.

    `rows` must yield each key once (PostgreSQL refuses to update a row twice in one statement).
    Built once per dialect and reused: the statement takes `rows`' bound parameters.
    """
    select_columns = [item.name for item in rows.selected_columns]
    statement = _INSERTS[dialect](table).from_select(
        select_columns,
        # SQLite cannot tell "ON CONFLICT" from a join's "ON" after a SELECT without WHERE.
        rows.where(true()),
    )
    return statement.on_conflict_do_update(
        index_elements=key,
        set_={column: statement.excluded[column]},
        where=table.c[column] > statement.excluded[column],
    )
