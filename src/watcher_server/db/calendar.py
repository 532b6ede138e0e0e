"""Calendar arithmetic inside SQL: "a moment plus N minutes … years", and the latest of several
moments, spelled the way each database needs.

The same rules as monitoring.deadlines.add_interval, so that a status computed in SQL for
thousands of pipelines agrees with the checks that judge one at a time in Python: times are
UTC, a month is a calendar month whose day is clipped to the target month's length (January 31
plus one month is the last day of February), a year is twelve months.
"""

from datetime import datetime
from typing import Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from watcher_server.db.types import UTCDateTime
from watcher_server.models.base import DatePart

# Counts beyond which a deadline lies centuries ahead: it never passes, and the SQL answers NULL
# rather than overflow the databases' timestamp range.
MAX_UNITS = {
    DatePart.MINUTE: 150_000_000,
    DatePart.HOUR: 2_500_000,
    DatePart.DAY: 100_000,
    DatePart.WEEK: 15_000,
    DatePart.MONTH: 3_600,
    DatePart.YEAR: 300,
}
_FIXED = {
    DatePart.MINUTE: "mins",
    DatePart.HOUR: "hours",
    DatePart.DAY: "days",
    DatePart.WEEK: "weeks",
}
_SQLITE_FIXED = {DatePart.MINUTE: "minutes", DatePart.HOUR: "hours", DatePart.DAY: "days"}


class _PlusInterval(FunctionElement[datetime]):
    type = UTCDateTime()
    inherit_cache = True
    name = "plus_interval"


def plus_interval(
    moment: ColumnElement[datetime], number: ColumnElement[int], datepart: ColumnElement[Any]
) -> ColumnElement[datetime]:
    """`moment` plus `number` units of `datepart` (a DatePart column); NULL when any of them is
    NULL or the count is beyond MAX_UNITS. On SQLite the result has millisecond precision."""
    return _PlusInterval(moment, number, datepart)


def _cases(datepart: str, branches: dict[DatePart, str], number: str) -> str:
    whens = " ".join(
        f"WHEN {datepart} = '{unit.name}' AND {number} <= {MAX_UNITS[unit]} THEN {sql}"
        for unit, sql in branches.items()
    )
    return f"(CASE {whens} END)"


@compiles(_PlusInterval, "postgresql")
def _postgresql(element: _PlusInterval, compiler: SQLCompiler, **kw: Any) -> str:
    moment, number, datepart = (compiler.process(clause, **kw) for clause in element.clauses)
    # Interval arithmetic happens in the session's time zone: do it on the UTC wall clock.
    utc = f"(({moment}) AT TIME ZONE 'UTC')"
    units = {**_FIXED, DatePart.MONTH: "months", DatePart.YEAR: "years"}
    branches = {
        unit: f"(({utc} + make_interval({name} => ({number})::int)) AT TIME ZONE 'UTC')"
        for unit, name in units.items()
    }
    return _cases(f"({datepart})::text", branches, f"({number})")


@compiles(_PlusInterval, "sqlite")
def _sqlite(element: _PlusInterval, compiler: SQLCompiler, **kw: Any) -> str:
    # Each use of a clause is compiled anew: with positional parameters a bind may not repeat.
    moment_clause, number_clause, datepart_clause = element.clauses

    def moment() -> str:
        return compiler.process(moment_clause, **kw)

    def number() -> str:
        return f"({compiler.process(number_clause, **kw)})"

    def shifted(modifier: str, fmt: str = "%Y-%m-%d %H:%M:%f") -> str:
        return f"strftime('{fmt}', {moment()}, {modifier})"

    def months(count: str) -> str:
        # SQLite rolls January 31 + 1 month over into March; clip to the month's last day.
        modifier = f"'+' || {count} || ' months'"
        rolled = f"{shifted(modifier, '%d')} <> strftime('%d', {moment()})"
        last_day = f"strftime('%Y-%m-%d', {moment()}, {modifier}, 'start of month', '-1 day')"
        clipped = f"{last_day} || strftime(' %H:%M:%f', {moment()})"
        return f"(CASE WHEN {rolled} THEN {clipped} ELSE {shifted(modifier)} END)"

    branches = {
        unit: shifted(f"'+' || {number()} || ' {name}'") for unit, name in _SQLITE_FIXED.items()
    }
    branches[DatePart.WEEK] = shifted(f"'+' || ({number()} * 7) || ' days'")
    branches[DatePart.MONTH] = months(number())
    branches[DatePart.YEAR] = months(f"({number()} * 12)")
    whens = " ".join(
        f"WHEN {compiler.process(datepart_clause, **kw)} = '{unit.name}' "
        f"AND {number()} <= {MAX_UNITS[unit]} THEN {sql}"
        for unit, sql in branches.items()
    )
    return f"(CASE {whens} END)"


class _LatestOf(FunctionElement[datetime]):
    type = UTCDateTime()
    inherit_cache = True
    name = "latest_of"


def latest_of(*moments: ColumnElement[datetime]) -> ColumnElement[datetime]:
    """The latest of several moments, ignoring NULLs; NULL when all are."""
    return _LatestOf(*moments)


@compiles(_LatestOf, "postgresql")
def _postgresql_latest(element: _LatestOf, compiler: SQLCompiler, **kw: Any) -> str:
    return f"GREATEST({compiler.process(element.clauses, **kw)})"  # ignores NULLs


@compiles(_LatestOf, "sqlite")
def _sqlite_latest(element: _LatestOf, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite's max() is NULL when any argument is: feed it each rotation of a COALESCE.
    clauses = list(element.clauses)
    rotations = [
        "COALESCE({})".format(
            ", ".join(compiler.process(c, **kw) for c in clauses[i:] + clauses[:i])
        )
        for i in range(len(clauses))
    ]
    return f"MAX({', '.join(rotations)})" if len(rotations) > 1 else rotations[0]
