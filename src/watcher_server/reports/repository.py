"""Every SQL statement of the daily report: keeping pipeline_daily_totals, and reading it.

A run counts once it has ended, on the UTC day it started (its `date_recorded`): the end adds
it to its day's row, and deleting it (log cleanup) takes it away, each in its own transaction.
"""

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    BigInteger,
    Float,
    FromClause,
    Insert,
    Row,
    and_,
    bindparam,
    case,
    cast,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement, UnaryExpression

from watcher_server.db.bulk import is_one_of, key_chunks
from watcher_server.db.upsert import UPSERT_DIALECTS, upsertable_insert_for
from watcher_server.models import Pipeline, PipelineDailyTotals, PipelineExecution, PipelineType

totals = PipelineDailyTotals.__table__
executions = PipelineExecution.__table__
pipelines = Pipeline.__table__
pipeline_types = PipelineType.__table__
SUMS = (
    "runs",
    "failed",
    "inserts",
    "updates",
    "soft_deletes",
    "total_rows",
    "duration_seconds",
    "throughput_sum",
    "throughput_runs",
)


def _sums(runs: FromClause) -> dict[str, ColumnElement[Any]]:
    """What the runs of `runs` (rows shaped like pipeline_execution) add to their day's row."""
    run = runs.c

    def total(value: ColumnElement[Any]) -> ColumnElement[Any]:
        return func.sum(func.coalesce(value, 0))

    return {
        "runs": func.count(),
        "failed": func.sum(case((run.completed_successfully, 0), else_=1)),
        "inserts": total(run.inserts),
        "updates": total(run.updates),
        "soft_deletes": total(run.soft_deletes),
        "total_rows": total(run.total_rows),
        "duration_seconds": total(run.duration_seconds),
        "throughput_sum": total(run.throughput),
        "throughput_runs": func.count(run.throughput),
    }


def add_runs_statement(dialect: str, runs: FromClause, *conditions: Any, sign: int = 1) -> Insert:
    """INSERT … SELECT of the ended runs of `runs` matching `conditions` into their days' rows,
    added to what is there (`sign=-1` takes them away). One upsert, so concurrent ends of runs
    of the same day each add theirs."""
    run = runs.c
    sums = {name: value if sign > 0 else -value for name, value in _sums(runs).items()}
    rows = (
        select(
            run.pipeline_id, run.date_recorded.label("day"), *(v.label(k) for k, v in sums.items())
        )
        .where(run.end_date.is_not(None), *conditions)
        .group_by(run.pipeline_id, run.date_recorded)
    )
    statement = upsertable_insert_for(dialect, totals).from_select(
        ["pipeline_id", "day", *SUMS], rows
    )
    excluded = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=["pipeline_id", "day"],
        set_={name: totals.c[name] + excluded[name] for name in SUMS},
    )


_ADD_ENDED_RUN = {
    dialect: add_runs_statement(
        dialect, executions, executions.c.id == bindparam("execution_id", type_=BigInteger())
    )
    for dialect in UPSERT_DIALECTS
}
_TAKE_AWAY = {
    dialect: add_runs_statement(
        dialect, executions, is_one_of(dialect, executions.c.id, "run_ids"), sign=-1
    )
    for dialect in UPSERT_DIALECTS
}


async def add_ended_run(conn: AsyncConnection, execution_id: int) -> None:
    """Add run `execution_id`, which this transaction has just ended, to its day's row."""
    await conn.execute(_ADD_ENDED_RUN[conn.dialect.name], {"execution_id": execution_id})


async def take_away_runs(conn: AsyncConnection, run_ids: Sequence[int]) -> None:
    """Take the ended runs of `run_ids`, about to be deleted, away from their days' rows."""
    for chunk in key_chunks(conn, run_ids):
        await conn.execute(_TAKE_AWAY[conn.dialect.name], {"run_ids": list(chunk)})


def _ratio(part: ColumnElement[Any], whole: ColumnElement[Any]) -> ColumnElement[Any]:
    """part / whole as a float; NULL when `whole` is zero."""
    # (Both as floats: PostgreSQL would otherwise divide in numeric, several times slower.)
    return case((whole > 0, cast(part, Float) / cast(whole, Float)))


# What each report column is, over a day's row; the keys are the answer's field names.
_ROW = totals.c
REPORT_COLUMNS: dict[str, ColumnElement[Any]] = {
    "day": _ROW.day,
    "pipeline_id": _ROW.pipeline_id,
    "pipeline_name": pipelines.c.name,
    "pipeline_type_name": pipeline_types.c.name,
    "runs": _ROW.runs,
    "failed": _ROW.failed,
    "error_rate": _ratio(_ROW.failed, _ROW.runs),
    "inserts": _ROW.inserts,
    "updates": _ROW.updates,
    "soft_deletes": _ROW.soft_deletes,
    "total_rows": _ROW.total_rows,
    "average_duration_seconds": _ratio(_ROW.duration_seconds, _ROW.runs),
    "throughput": _ratio(_ROW.throughput_sum, _ROW.throughput_runs),
}
TOTALLED = ("runs", "failed", "total_rows", "throughput_sum", "throughput_runs")
# The only column that can be NULL (no run had a throughput): last whichever the direction.
NULLABLE = frozenset({"throughput"})


def _in_window(
    first_day: date, last_day: date, pipeline_id: int | None, pipeline_type_id: int | None
) -> list[ColumnElement[bool]]:
    # A day whose runs were all deleted keeps a row of zeros.
    conditions = [_ROW.day >= first_day, _ROW.day <= last_day, _ROW.runs > 0]
    if pipeline_id is not None:
        conditions.append(_ROW.pipeline_id == pipeline_id)
    if pipeline_type_id is not None:
        conditions.append(pipelines.c.pipeline_type_id == pipeline_type_id)
    return conditions


def _ordering(sort: str, descending: bool) -> list[UnaryExpression[Any]]:
    """ORDER BY `sort`, then by day and pipeline id in the day's direction (newest first unless
    sorted by day ascending), so that pages never overlap and the default order is an index's."""
    newest_first = descending if sort == "day" else True
    keys = [] if sort == "day" else [(sort, descending)]
    keys += [("day", newest_first), ("pipeline_id", newest_first)]
    ordered = []
    for name, down in keys:
        key = REPORT_COLUMNS[name].desc() if down else REPORT_COLUMNS[name].asc()
        ordered.append(key.nulls_last() if name in NULLABLE else key)
    return ordered


async def report_rows(
    conn: AsyncConnection,
    window: tuple[date, date],
    pipeline_id: int | None,
    pipeline_type_id: int | None,
    sort: tuple[str, bool],
    limit: int,
    offset: int,
) -> list[Row[Any]]:
    """One page of the report's rows in `sort`'s order (column name, descending?).

    The page's keys are found on the totals alone (joined to the pipelines only to filter or
    sort by them), then only those rows get their names."""
    ordering = _ordering(*sort)
    source: FromClause = totals
    if pipeline_type_id is not None or sort[0] in ("pipeline_name", "pipeline_type_name"):
        source = source.join(pipelines, pipelines.c.id == _ROW.pipeline_id)
    if sort[0] == "pipeline_type_name":
        source = source.join(pipeline_types, pipeline_types.c.id == pipelines.c.pipeline_type_id)
    page = (
        select(_ROW.pipeline_id, _ROW.day)
        .select_from(source)
        .where(*_in_window(*window, pipeline_id, pipeline_type_id))
        .order_by(*ordering)
        .limit(limit)
        .offset(offset)
        .subquery("page")
    )
    named = (
        totals.join(page, and_(page.c.pipeline_id == _ROW.pipeline_id, page.c.day == _ROW.day))
        .join(pipelines, pipelines.c.id == _ROW.pipeline_id)
        .join(pipeline_types, pipeline_types.c.id == pipelines.c.pipeline_type_id)
    )
    statement = (
        select(*(value.label(name) for name, value in REPORT_COLUMNS.items()))
        .select_from(named)
        .order_by(*ordering)
    )
    return list(await conn.execute(statement))


async def report_day_totals(
    conn: AsyncConnection,
    window: tuple[date, date],
    pipeline_id: int | None,
    pipeline_type_id: int | None,
) -> list[Row[Any]]:
    """Per day with runs, oldest first: the sums the report's totals need (added up over the
    days, they are the totals) and how many rows the day has."""
    # Only those: each sum costs about a tenth of this statement. (Cast: PostgreSQL sums
    # bigints as numeric.)
    sums = [
        cast(func.coalesce(func.sum(_ROW[name]), 0), _ROW[name].type).label(name)
        for name in TOTALLED
    ]
    statement = (
        select(_ROW.day, func.count().label("row_count"), *sums)
        .where(*_in_window(*window, pipeline_id, pipeline_type_id))
        .group_by(_ROW.day)
        .order_by(_ROW.day)
    )
    if pipeline_type_id is not None:
        statement = statement.select_from(
            totals.join(pipelines, pipelines.c.id == _ROW.pipeline_id)
        )
    return list(await conn.execute(statement))
