"""Insert-if-absent, the statement get-or-create builds on, and the keep-the-minimum upsert
the lineage closure is maintained with."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Insert, Row, Select, Table, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
UPSERT_DIALECTS = tuple(_INSERTS)


def upsertable_insert_for(dialect: str, table: Table) -> Any:
    """An INSERT on `table` that supports ON CONFLICT in `dialect` (for statements built once)."""
    return _INSERTS[dialect](table)


def upsertable_insert(conn: AsyncConnection, table: Table) -> Any:
    """An INSERT on `table` that supports ON CONFLICT in the connection's dialect."""
    return upsertable_insert_for(conn.dialect.name, table)


async def insert_if_absent(
    conn: AsyncConnection, table: Table, values: dict[str, Any], unique_on: list[str]
) -> int | None:
    """Insert a row unless one with the same `unique_on` values exists; the new id, else None.

    Concurrent callers never fail on the unique index: the losers get None. Looking the
    winner up is a second statement, which may miss it (`common.get_or_create` says when).
    """
    statement = (
        upsertable_insert(conn, table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=unique_on)
        .returning(table.c.id)
    )
    return (await conn.execute(statement)).scalar_one_or_none()


async def insert_many_if_absent(
    conn: AsyncConnection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    unique_on: list[str],
    returning: Sequence[ColumnElement[Any]] = (),
) -> list[Row[Any]]:
    """Insert every row that does not clash with an existing one on `unique_on`.

    Answers the `returning` columns of the rows this call inserted (none when not asked).
    """
    if not rows:
        return []
    statement = _INSERTS[conn.dialect.name](table).on_conflict_do_nothing(index_elements=unique_on)
    if not returning:
        await conn.execute(statement, list(rows))
        return []
    return list(await conn.execute(statement.returning(*returning), list(rows)))


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
