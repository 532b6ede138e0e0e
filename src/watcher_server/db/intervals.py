"""Timestamp arithmetic inside SQL, spelled the way each database needs."""

from datetime import datetime
from typing import Any

from sqlalchemy import literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from watcher_server.db.types import UTCDateTime

# About 317 years: more than any timestamp difference Watcher compares, and within range of
# both databases' interval arithmetic.
MAX_SECONDS = 10_000_000_000


class _SecondsBefore(FunctionElement[datetime]):
    type = UTCDateTime()
    inherit_cache = True
    name = "seconds_before"


def seconds_before(moment: datetime, seconds: ColumnElement[Any]) -> ColumnElement[datetime]:
    """`moment` minus `seconds` (an SQL expression), comparable with UTCDateTime columns.

    `seconds` is capped at MAX_SECONDS. On SQLite the result has millisecond precision (as
    text, it sorts with the stored values to within a millisecond); use it for filters with a
    little slack, and decide exact cases in Python.
    """
    return _SecondsBefore(literal(moment, UTCDateTime()), seconds)


def _arguments(element: _SecondsBefore, compiler: SQLCompiler, **kw: Any) -> tuple[str, str]:
    moment, seconds = (compiler.process(clause, **kw) for clause in element.clauses)
    capped = f"CASE WHEN ({seconds}) > {MAX_SECONDS} THEN {MAX_SECONDS} ELSE ({seconds}) END"
    return moment, capped


@compiles(_SecondsBefore, "postgresql")
def _postgresql(element: _SecondsBefore, compiler: SQLCompiler, **kw: Any) -> str:
    moment, seconds = _arguments(element, compiler, **kw)
    return f"({moment} - make_interval(secs => {seconds}))"


@compiles(_SecondsBefore, "sqlite")
def _sqlite(element: _SecondsBefore, compiler: SQLCompiler, **kw: Any) -> str:
    moment, seconds = _arguments(element, compiler, **kw)
    return f"strftime('%Y-%m-%d %H:%M:%f', {moment}, '-' || ({seconds}) || ' seconds')"
