"""Statements over a list of keys of any length: one array on PostgreSQL, chunks on SQLite;
and one query run once per row of parameters (PostgreSQL: arrays and LATERAL)."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, Column, Table, any_, bindparam, column, delete, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import TableValuedAlias
from sqlalchemy.types import TypeEngine

from watcher_server.db.dialects import capabilities

# Older SQLite builds allow 999 bound parameters per statement; stay below that.
SQLITE_CHUNK = 900


def key_chunks(conn: AsyncConnection, keys: Sequence[int]) -> list[Sequence[int]]:
    """`keys` split into as few lists as one statement each can take, order kept."""
    if capabilities(conn).array_parameters:
        return [keys] if keys else []
    return [keys[start : start + SQLITE_CHUNK] for start in range(0, len(keys), SQLITE_CHUNK)]


def is_one_of(
    bind: AsyncConnection | str,
    column: Any,
    name: str,
    keys: Sequence[Any] | None = None,
    item_type: TypeEngine[Any] | None = None,
) -> ColumnElement[bool]:
    """`column` equals one of the keys bound as the list parameter `name` (at most one chunk
    of `key_chunks`): `keys` now, or given with each execution of a statement built once.
    Keys are ids unless `item_type` says otherwise.

    With array parameters the list is one parameter, so one cached plan serves any length.
    """
    values = {} if keys is None else {"value": list(keys)}
    if capabilities(bind).array_parameters:
        array = ARRAY(item_type or BigInteger())
        return column == any_(bindparam(name, type_=array, **values))
    return column.in_(bindparam(name, expanding=True, **values))


async def delete_where_in(
    conn: AsyncConnection, table: Table, column: Column[Any], keys: Sequence[int]
) -> int:
    """Delete the rows of `table` whose `column` is one of `keys`, chunk by chunk in order."""
    deleted = 0
    for chunk in key_chunks(conn, keys):
        result = await conn.execute(delete(table).where(is_one_of(conn, column, "keys", chunk)))
        deleted += result.rowcount
    return deleted


def array_rows(name: str, columns: Sequence[tuple[str, TypeEngine[Any]]]) -> TableValuedAlias:
    """A FROM item `name` with one row per index of the array parameters named and typed as
    `columns` (all of one length): many rows of parameters as a few array parameters, so the
    statement is the same whatever their number (for connections with `lateral`)."""
    arrays = [bindparam(key, type_=ARRAY(type_)) for key, type_ in columns]
    return (
        func.unnest(*arrays)
        .table_valued(*(column(key, type_) for key, type_ in columns))
        .render_derived(name=name)
    )
