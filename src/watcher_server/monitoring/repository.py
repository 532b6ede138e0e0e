"""Every SQL statement of the timeliness and freshness checks and of their logs.

The checks read with one streamed query each (no per-pipeline queries): candidates come out
of the database in pages, and only the findings are kept in memory. The parts of these
statements that do not depend on the time are built once (@cache): building them on every
call cost the server more CPU than reading the rows.
"""

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from functools import cache
from typing import Any, Literal

from sqlalchemy import (
    BigInteger,
    Row,
    Select,
    Table,
    and_,
    bindparam,
    case,
    cast,
    func,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from watcher_server.db.bulk import is_one_of, key_chunks
from watcher_server.db.intervals import seconds_before
from watcher_server.db.pacing import Pacer
from watcher_server.db.types import UTCDateTime
from watcher_server.db.upsert import insert_many_if_absent
from watcher_server.models import (
    FreshnessPipelineLog,
    Pipeline,
    PipelineExecution,
    PipelineType,
    TimelinessPipelineExecutionLog,
)
from watcher_server.monitoring.deadlines import SHORTEST_SECONDS
from watcher_server.monitoring.rules import OverdueExecution, StalePipeline

executions = PipelineExecution.__table__
pipelines = Pipeline.__table__
pipeline_types = PipelineType.__table__
timeliness_logs = TimelinessPipelineExecutionLog.__table__
freshness_logs = FreshnessPipelineLog.__table__

Check = Literal["timeliness", "freshness"]
PAGE = 1000
ROWS_PER_TURN = 25
# After each turn (the query's own run counts in the first), a check rests this many times as
# long as the turn took.
REST_PER_TURN = 4.0


def _own_pair_complete(check: Check) -> ColumnElement[bool]:
    number, datepart = pipelines.c[f"{check}_number"], pipelines.c[f"{check}_datepart"]
    return and_(number.is_not(None), number > 0, datepart.is_not(None))


@cache
def _checked_pipelines(check: Check) -> ColumnElement[bool]:
    """Active pipelines, muted at neither level, with a threshold at one level or the other.

    The same rule as thresholds.resolve_threshold, which decides per row; this only narrows
    what is read.
    """
    type_number = pipeline_types.c[f"{check}_number"]
    type_complete = and_(
        type_number.is_not(None),
        type_number > 0,
        pipeline_types.c[f"{check}_datepart"].is_not(None),
    )
    return and_(
        pipelines.c.active.is_(True),
        pipelines.c[f"mute_{check}_check"].is_(False),
        pipeline_types.c[f"mute_{check}_check"].is_(False),
        _own_pair_complete(check) | type_complete,
    )


@cache
def _threshold_columns(check: Check) -> tuple[ColumnElement[Any], ...]:
    return (
        pipelines.c[f"{check}_number"].label("own_number"),
        pipelines.c[f"{check}_datepart"].label("own_datepart"),
        pipeline_types.c[f"{check}_number"].label("type_number"),
        pipeline_types.c[f"{check}_datepart"].label("type_datepart"),
    )


@cache
def _shortest_threshold_seconds(check: Check) -> ColumnElement[int]:
    """The fewest seconds the applicable threshold can last (a month is at least 28 days)."""
    own = _own_pair_complete(check)
    number = case((own, pipelines.c[f"{check}_number"]), else_=pipeline_types.c[f"{check}_number"])
    datepart = case(
        (own, pipelines.c[f"{check}_datepart"]), else_=pipeline_types.c[f"{check}_datepart"]
    )
    return _shortest_seconds(number, datepart)


def _shortest_seconds(
    number: ColumnElement[int], datepart: ColumnElement[Any]
) -> ColumnElement[int]:
    shortest = case(*((datepart == unit, seconds) for unit, seconds in SHORTEST_SECONDS.items()))
    return cast(number, BigInteger) * shortest


# The time a check runs at, and the start of the timeliness lookback window: bind parameters,
# so that each check's statements are built and compiled once.
_NOW = bindparam("now", type_=UTCDateTime())
_SINCE = bindparam("since", type_=UTCDateTime())


def _latest_start_that_can_be_late(check: Check) -> ColumnElement[datetime]:
    """A threshold counted from a later time cannot have passed by now.

    Used to leave out, in SQL, what is certainly on time; the exact calendar check is done in
    Python on the rest. One second of slack covers SQLite's millisecond rounding.
    """
    return seconds_before(_NOW, _shortest_threshold_seconds(check) - 1)


def _with_types(statement: Select[Any]) -> Select[Any]:
    return statement.join(pipeline_types, pipeline_types.c.id == pipelines.c.pipeline_type_id)


async def _stream(
    conn: AsyncConnection, statement: Select[Any], parameters: dict[str, Any]
) -> AsyncIterator[Row[Any]]:
    """The rows of `statement`, resting every ROWS_PER_TURN rows (see db.pacing): judging a
    whole page in one go would stall the API calls that share the server."""
    pacer = Pacer(conn, REST_PER_TURN)
    result = await conn.stream(statement, parameters)
    async for page in result.partitions(PAGE):
        for start in range(0, len(page), ROWS_PER_TURN):
            for row in page[start : start + ROWS_PER_TURN]:
                yield row
            await pacer.step_done()


@cache
def _execution_candidates() -> Select[Any]:
    """Runs of checked pipelines, with what judging them needs, in id order."""
    columns = [
        executions.c.id,
        executions.c.pipeline_id,
        pipelines.c.name.label("pipeline_name"),
        executions.c.start_date,
        executions.c.end_date,
        executions.c.duration_seconds,
        timeliness_logs.c.pipeline_execution_id.is_not(None).label("logged"),
        *_threshold_columns("timeliness"),
    ]
    statement = select(*columns).select_from(executions)
    statement = statement.join(pipelines, pipelines.c.id == executions.c.pipeline_id)
    statement = _with_types(statement).outerjoin(
        timeliness_logs, timeliness_logs.c.pipeline_execution_id == executions.c.id
    )
    return statement.where(_checked_pipelines("timeliness")).order_by(executions.c.id)


def stream_running_executions(conn: AsyncConnection, now: datetime) -> AsyncIterator[Row[Any]]:
    """Runs still going of checked pipelines, however long ago they started, that may be
    past their deadline."""
    return _stream(conn, _running_candidates(), {"now": now})


@cache
def _running_candidates() -> Select[Any]:
    return _execution_candidates().where(
        executions.c.end_date.is_(None),
        executions.c.start_date <= _latest_start_that_can_be_late("timeliness"),
    )


def stream_late_finishes(conn: AsyncConnection, since: datetime) -> AsyncIterator[Row[Any]]:
    """Successful runs that ended at or after `since` and may have taken longer than allowed
    (their duration is at least the shortest their threshold can be)."""
    return _stream(conn, _late_finish_candidates(), {"since": since})


@cache
def _late_finish_candidates() -> Select[Any]:
    return _execution_candidates().where(
        executions.c.end_date >= _SINCE,
        executions.c.completed_successfully.is_(True),
        executions.c.duration_seconds >= _shortest_threshold_in_use("timeliness"),
        executions.c.duration_seconds >= _shortest_threshold_seconds("timeliness"),
    )


@cache
def _shortest_threshold_in_use(check: Check) -> ColumnElement[int]:
    """At most the fewest seconds any checked pipeline's threshold can last.

    A run shorter than that cannot be late, whatever its pipeline: filtering on it before the
    joins keeps the check's cost in the few runs that may be late rather than in every run that
    ended in the lookback window (thousands an hour on a busy server). Each level's settings
    are read alone, mutes included (they can only lower the bound): one pass over the
    pipelines, no join, computed once per query.
    """

    def settings_of(table: Table) -> Select[Any]:
        number, datepart = table.c[f"{check}_number"], table.c[f"{check}_datepart"]
        return select(_shortest_seconds(number, datepart).label("seconds")).where(number > 0)

    both = union_all(settings_of(pipelines), settings_of(pipeline_types)).subquery()
    return select(func.min(both.c.seconds)).scalar_subquery()


async def insert_timeliness_logs(
    conn: AsyncConnection, findings: Sequence[OverdueExecution], now: datetime
) -> set[int]:
    """Log each overdue execution not logged yet; answers the execution ids this call logged."""
    rows = [
        {
            "pipeline_execution_id": finding.execution_id,
            "pipeline_id": finding.pipeline_id,
            "execution_status": finding.status,
            "duration_seconds": finding.duration_seconds,
            "seconds_threshold": finding.seconds_threshold,
            "deadline_at": finding.deadline_at,
            "timely_number": finding.threshold.number,
            "timely_datepart": finding.threshold.datepart,
            "used_child_config": finding.threshold.used_child_config,
            "created_at": now,
        }
        for finding in findings
    ]
    inserted = await insert_many_if_absent(
        conn,
        timeliness_logs,
        rows,
        ["pipeline_execution_id"],
        returning=[timeliness_logs.c.pipeline_execution_id],
    )
    return {row.pipeline_execution_id for row in inserted}


def stream_freshness_candidates(conn: AsyncConnection, now: datetime) -> AsyncIterator[Row[Any]]:
    """Checked pipelines that may be stale, and those with an open stale episode, with their
    DML times and that episode."""
    return _stream(conn, _freshness_statement(), {"now": now})


@cache
def _freshness_statement() -> Select[Any]:
    return _freshness_candidates().where(or_(_may_be_stale(), freshness_logs.c.id.is_not(None)))


@cache
def _freshness_candidates() -> Select[Any]:
    columns = [
        pipelines.c.id,
        pipelines.c.name,
        pipelines.c.created_at,
        pipelines.c.last_target_insert,
        pipelines.c.last_target_update,
        pipelines.c.last_target_soft_delete,
        freshness_logs.c.id.label("open_episode_id"),
        freshness_logs.c.measured_from.label("open_measured_from"),
        freshness_logs.c.deadline_at.label("open_deadline_at"),
        *_threshold_columns("freshness"),
    ]
    statement = _with_types(select(*columns).select_from(pipelines)).outerjoin(
        freshness_logs,
        and_(
            freshness_logs.c.pipeline_id == pipelines.c.id, freshness_logs.c.resolved_at.is_(None)
        ),
    )
    statement = statement.where(_checked_pipelines("freshness"))
    return statement.order_by(pipelines.c.id, freshness_logs.c.id.desc())


def _may_be_stale() -> ColumnElement[bool]:
    """No load (or, never loaded, no creation) later than the latest time that can be stale."""
    latest = _latest_start_that_can_be_late("freshness")
    loads = (
        pipelines.c.last_target_insert,
        pipelines.c.last_target_update,
        pipelines.c.last_target_soft_delete,
    )
    return and_(
        *(or_(load.is_(None), load <= latest) for load in loads),
        or_(func.coalesce(*loads).is_not(None), pipelines.c.created_at <= latest),
    )


async def close_open_episodes(
    conn: AsyncConnection, pipeline_ids: Sequence[int], now: datetime
) -> None:
    """End the open episodes of these pipelines (each is about to start a newer one)."""
    for chunk in key_chunks(conn, pipeline_ids):
        await conn.execute(
            update(freshness_logs)
            .where(
                is_one_of(conn, freshness_logs.c.pipeline_id, "pipeline_ids", chunk),
                freshness_logs.c.resolved_at.is_(None),
            )
            .values(resolved_at=now)
        )


async def resolve_episodes(
    conn: AsyncConnection, episode_ids: Sequence[int], now: datetime
) -> None:
    for chunk in key_chunks(conn, episode_ids):
        await conn.execute(
            update(freshness_logs)
            .where(is_one_of(conn, freshness_logs.c.id, "episode_ids", chunk))
            .values(resolved_at=now)
        )


async def insert_freshness_episodes(
    conn: AsyncConnection, findings: Sequence[StalePipeline], now: datetime
) -> set[int]:
    """Log a stale episode per finding unless logged already; answers the pipelines logged."""
    rows = [
        {
            "pipeline_id": finding.pipeline_id,
            "last_dml_timestamp": finding.last_dml,
            "measured_from": finding.measured_from,
            "deadline_at": finding.deadline_at,
            "evaluation_timestamp": now,
            "freshness_number": finding.threshold.number,
            "freshness_datepart": finding.threshold.datepart,
            "used_child_config": finding.threshold.used_child_config,
            "created_at": now,
        }
        for finding in findings
    ]
    inserted = await insert_many_if_absent(
        conn,
        freshness_logs,
        rows,
        ["pipeline_id", "measured_from"],
        returning=[freshness_logs.c.pipeline_id],
    )
    return {row.pipeline_id for row in inserted}


async def list_timeliness_logs(
    conn: AsyncConnection, pipeline_id: int | None, limit: int, offset: int
) -> list[Row[Any]]:
    statement = select(timeliness_logs)
    if pipeline_id is not None:
        statement = statement.where(timeliness_logs.c.pipeline_id == pipeline_id)
    statement = statement.order_by(
        timeliness_logs.c.created_at.desc(), timeliness_logs.c.pipeline_execution_id.desc()
    )
    return list(await conn.execute(statement.limit(limit).offset(offset)))


async def list_freshness_logs(
    conn: AsyncConnection, pipeline_id: int | None, limit: int, offset: int
) -> list[Row[Any]]:
    statement = select(freshness_logs)
    if pipeline_id is not None:
        statement = statement.where(freshness_logs.c.pipeline_id == pipeline_id)
    statement = statement.order_by(freshness_logs.c.id.desc())
    return list(await conn.execute(statement.limit(limit).offset(offset)))
