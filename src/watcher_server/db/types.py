"""Column types that behave the same on SQLite and PostgreSQL."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")

# JSONB on PostgreSQL so users can index and query metadata; JSON text on SQLite.
JSONDocument = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware.

    Naive input is taken as UTC. SQLite has no time zones, so values are stored there as naive UTC
    text, which also keeps their string order equal to their time order.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        value = as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


def as_utc(value: datetime) -> datetime:
    """`value` in UTC; a naive datetime is assumed to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class _MergedDocument(FunctionElement[Any]):
    inherit_cache = True
    name = "merged_document"

    def __init__(self, document: ColumnElement[Any], added: ColumnElement[Any]) -> None:
        super().__init__(document, added)
        self.type = document.type


def merged_document(document: ColumnElement[Any], added: ColumnElement[Any]) -> ColumnElement[Any]:
    """`document` with the keys of `added` set over its own (a shallow merge; `document` may
    be NULL or not an object). PostgreSQL only: SQLite's json_patch merges recursively and
    drops keys set to null, which is not the same."""
    return _MergedDocument(document, added)


@compiles(_MergedDocument, "postgresql")
def _postgresql_merged(element: _MergedDocument, compiler: SQLCompiler, **kw: Any) -> str:
    document, added = (compiler.process(clause, **kw) for clause in element.clauses)
    return (
        f"CASE WHEN jsonb_typeof({document}) = 'object' THEN {document} || {added} ELSE {added} END"
    )
