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

# Older SQLite builds allow 999 bound parameters per statement; stay below that.
SQLITE_CHUNK = 900


def key_chunks(conn: AsyncConnection, keys: Sequence[int]) -> list[Sequence[int]]:
    """`keys` split into as few lists as one statement each can take, order kept."""
    if conn.dialect.name == "postgresql":
        return [keys] if keys else []
    return [keys[start : start + SQLITE_CHUNK] for start in range(0, len(keys), SQLITE_CHUNK)]


def is_one_of_parameter(dialect: str, column: Any, name: str) -> ColumnElement[bool]:
    """`column` equals one of the keys in the list parameter `name`, for statements built
    once per dialect (the list is no longer than one chunk of `key_chunks`)."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(BigInteger)))
    return column.in_(bindparam(name, expanding=True))


def is_one_of(conn: AsyncConnection, column: Any, keys: Sequence[int]) -> ColumnElement[bool]:
    """`column` equals one of `keys` (a chunk from `key_chunks`)."""
    if conn.dialect.name == "postgresql":
        # One array parameter: no limit on its length, one cached plan whatever the batch size.
        return column == any_(bindparam(None, list(keys), type_=ARRAY(BigInteger)))
    return column.in_(keys)


async def delete_where_in(
    conn: AsyncConnection, table: Table, column: Column[Any], keys: Sequence[int]
) -> int:
    """Delete the rows of `table` whose `column` is one of `keys`, chunk by chunk in order."""
    deleted = 0
    for chunk in key_chunks(conn, keys):
        result = await conn.execute(delete(table).where(is_one_of(conn, column, chunk)))
        deleted += result.rowcount
    return deleted


def has_lateral(conn: AsyncConnection) -> bool:
    """Whether a subquery may read the columns of the FROM items before it (LATERAL):
    PostgreSQL yes, SQLite no."""
    return conn.dialect.name == "postgresql"


def array_rows(name: str, columns: Sequence[tuple[str, TypeEngine[Any]]]) -> TableValuedAlias:
    """A FROM item `name` with one row per index of the array parameters named and typed as
    `columns` (all of one length): many rows of parameters as a few array parameters, so the
    statement is the same whatever their number (PostgreSQL, for `has_lateral` connections)."""
    arrays = [bindparam(key, type_=ARRAY(type_)) for key, type_ in columns]
    return (
        func.unnest(*arrays)
        .table_valued(*(column(key, type_) for key, type_ in columns))
        .render_derived(name=name)
    )
