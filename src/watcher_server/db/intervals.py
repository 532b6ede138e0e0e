"""Timestamp arithmetic inside SQL, spelled the way each database needs."""

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Numeric
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement, ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from watcher_server.db.types import UTCDateTime

# About 317 years: more than any timestamp difference Watcher compares, and within range of
# both databases' interval arithmetic.
MAX_SECONDS = 10_000_000_000


class _SecondsBefore(FunctionElement[datetime]):
    type = UTCDateTime()
    inherit_cache = True
    name = "seconds_before"


def seconds_before(
    moment: ColumnElement[datetime], seconds: ColumnElement[Any]
) -> ColumnElement[datetime]:
    """`moment` (a UTCDateTime expression, e.g. a bind parameter) minus `seconds` (an SQL
    expression), comparable with UTCDateTime columns.

    `seconds` is capped at MAX_SECONDS. On SQLite the result has millisecond precision (as
    text, it sorts with the stored values to within a millisecond); use it for filters with a
    little slack, and decide exact cases in Python.
    """
    return _SecondsBefore(moment, seconds)


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


class _SecondsBetween(FunctionElement[float]):
    type = Numeric()
    inherit_cache = True
    name = "seconds_between"


def seconds_between(start: ColumnElement[Any], end: ColumnElement[Any]) -> ColumnElement[float]:
    """`end` minus `start`, two UTCDateTime expressions, in seconds to the microsecond."""
    return _SecondsBetween(start, end)


@compiles(_SecondsBetween, "postgresql")
def _postgresql_between(element: _SecondsBetween, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"EXTRACT(EPOCH FROM ({end}) - ({start}))"


@compiles(_SecondsBetween, "sqlite")
def _sqlite_between(element: _SecondsBetween, compiler: SQLCompiler, **kw: Any) -> str:
    # Stored as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTCDateTime): whole seconds from strftime, the
    # microseconds from the text, so that no float day count rounds them away. Each use of a
    # clause is compiled anew: with positional parameters, a bind may not be written twice.
    start, end = element.clauses

    def whole(moment: ClauseElement) -> str:
        return f"CAST(strftime('%s', substr({compiler.process(moment, **kw)}, 1, 19)) AS INTEGER)"

    def micro(moment: ClauseElement) -> str:
        return f"CAST(substr({compiler.process(moment, **kw)}, 21, 6) AS INTEGER)"

    return f"(({whole(end)} - {whole(start)}) + ({micro(end)} - {micro(start)}) / 1e6)"


class _Finite(FunctionElement[bool]):
    type = Boolean()
    inherit_cache = True
    name = "finite"


def finite(moment: ColumnElement[Any]) -> ColumnElement[bool]:
    """Whether a UTCDateTime expression is an ordinary time. asyncpg stores datetime.min and
    datetime.max as -infinity and infinity, which PostgreSQL cannot subtract; SQLite stores
    them as text like any other time."""
    return _Finite(moment)


@compiles(_Finite, "postgresql")
def _postgresql_finite(element: _Finite, compiler: SQLCompiler, **kw: Any) -> str:
    return f"isfinite({compiler.process(element.clauses, **kw)})"


@compiles(_Finite, "sqlite")
def _sqlite_finite(element: _Finite, compiler: SQLCompiler, **kw: Any) -> str:
    return "1"
