"""The SQL of pipeline health (see health.py): every pipeline's status computed in one statement.

Per pipeline the database looks up its latest run and its latest finished run (two probes of
the (pipeline_id, start_date) index, the second only while a run is going) and whether an
anomaly result exists for that finished run (a primary-key probe); thresholds and deadlines are
computed in SQL (db.calendar), so that filtering, counting and sorting worst first never bring a
pipeline into Python. Statements are built once, with the time as a bind parameter.
"""

from collections.abc import Collection
from datetime import datetime
from functools import cache
from typing import Any, Literal

from sqlalchemy import Row, Select, and_, bindparam, case, exists, func, null, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from watcher_server.db.calendar import latest_of, plus_interval
from watcher_server.db.types import UTCDateTime
from watcher_server.models import AnomalyDetectionResult, Pipeline, PipelineExecution, PipelineType
from watcher_server.pipelines.health import Health

pipelines = Pipeline.__table__
pipeline_types = PipelineType.__table__
executions = PipelineExecution.__table__
results = AnomalyDetectionResult.__table__
last_run = executions.alias("last_run")
last_finished = executions.alias("last_finished")

Check = Literal["timeliness", "freshness"]
_NOW = bindparam("now", type_=UTCDateTime())


def _complete(number: ColumnElement[Any], datepart: ColumnElement[Any]) -> ColumnElement[bool]:
    return and_(number.is_not(None), number > 0, datepart.is_not(None))


def _threshold(check: Check) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """(number, datepart) that applies: the pipeline's complete pair, else its type's."""
    own = (pipelines.c[f"{check}_number"], pipelines.c[f"{check}_datepart"])
    inherited = (pipeline_types.c[f"{check}_number"], pipeline_types.c[f"{check}_datepart"])
    uses_own = _complete(*own)
    return (
        case((uses_own, own[0]), else_=inherited[0]),
        case((uses_own, own[1]), else_=inherited[1]),
    )


def muted(check: Check) -> ColumnElement[bool]:
    """A mute on the pipeline or on its type turns the check off."""
    return or_(
        pipelines.c[f"mute_{check}_check"].is_(True),
        pipeline_types.c[f"mute_{check}_check"].is_(True),
    )


def _deadline(check: Check, counted_from: ColumnElement[datetime]) -> ColumnElement[datetime]:
    """When the check's threshold, counted from `counted_from`, passes; NULL when the check is
    muted or has no threshold."""
    number, datepart = _threshold(check)
    return case((muted(check), null()), else_=plus_interval(counted_from, number, datepart))


def _latest_run_id(*conditions: ColumnElement[bool]) -> ColumnElement[int]:
    return (
        select(executions.c.id)
        .where(executions.c.pipeline_id == pipelines.c.id, *conditions)
        .order_by(executions.c.start_date.desc(), executions.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _status_rank(
    timeliness_deadline: ColumnElement[datetime], freshness_deadline: ColumnElement[datetime]
) -> ColumnElement[int]:
    """The status as its rank (Health.rank): the first rule that applies, inactive first."""
    flagged = exists().where(results.c.pipeline_execution_id == last_finished.c.id)
    overdue = timeliness_deadline < func.coalesce(last_run.c.end_date, _NOW)
    return case(
        (pipelines.c.active.is_(False), Health.INACTIVE.rank),
        (last_finished.c.completed_successfully.is_(False), Health.FAILED.rank),
        (overdue, Health.OVERDUE.rank),
        (freshness_deadline < _NOW, Health.STALE.rank),
        (flagged, Health.ANOMALY.rank),
        (and_(last_run.c.id.is_not(None), last_run.c.end_date.is_(None)), Health.RUNNING.rank),
        (last_run.c.id.is_(None), Health.NEVER_RUN.rank),
        else_=Health.HEALTHY.rank,
    )


@cache
def _health_statement() -> Select[Any]:
    """One row per pipeline: its status rank, deadlines, latest run and latest finished run."""
    finished_id = case(
        (last_run.c.end_date.is_not(None), last_run.c.id),
        else_=_latest_run_id(executions.c.end_date.is_not(None)),
    )
    loaded = latest_of(
        pipelines.c.last_target_insert,
        pipelines.c.last_target_update,
        pipelines.c.last_target_soft_delete,
    )
    measured_from = func.coalesce(loaded, pipelines.c.created_at)
    timeliness_deadline = _deadline("timeliness", last_run.c.start_date)
    freshness_deadline = _deadline("freshness", measured_from)
    columns = [
        pipelines.c.id,
        pipelines.c.name,
        pipelines.c.active,
        pipelines.c.created_at,
        pipelines.c.updated_at,
        pipeline_types.c.name.label("type_name"),
        _status_rank(timeliness_deadline, freshness_deadline).label("rank"),
        muted("timeliness").label("timeliness_muted"),
        muted("freshness").label("freshness_muted"),
        timeliness_deadline.label("timeliness_deadline"),
        freshness_deadline.label("freshness_deadline"),
        loaded.label("last_loaded_at"),
        last_run.c.id.label("last_run_id"),
        last_run.c.start_date.label("last_run_start"),
        last_run.c.end_date.label("last_run_end"),
        last_run.c.duration_seconds.label("last_run_duration"),
        last_run.c.total_rows.label("last_run_rows"),
        last_run.c.completed_successfully.label("last_run_succeeded"),
        last_finished.c.id.label("finished_run_id"),
        last_finished.c.end_date.label("finished_run_end"),
    ]
    joined = (
        pipelines.join(pipeline_types, pipeline_types.c.id == pipelines.c.pipeline_type_id)
        .outerjoin(last_run, last_run.c.id == _latest_run_id())
        .outerjoin(last_finished, last_finished.c.id == finished_id)
    )
    return select(*columns).select_from(joined)


def _filtered(type_name: str | None, name_part: str | None) -> Select[Any]:
    statement = _health_statement()
    if type_name:
        statement = statement.where(pipeline_types.c.name == type_name)
    if name_part:
        statement = statement.where(pipelines.c.name.contains(name_part, autoescape=True))
    return statement


def _since(row: Any) -> ColumnElement[datetime]:
    """Since when the pipeline has its status (computed for the rows shown only)."""
    rank = row.rank
    return case(
        (rank == Health.INACTIVE.rank, func.coalesce(row.updated_at, row.created_at)),
        (rank == Health.OVERDUE.rank, row.timeliness_deadline),
        (rank == Health.STALE.rank, row.freshness_deadline),
        (rank == Health.RUNNING.rank, row.last_run_start),
        (rank == Health.NEVER_RUN.rank, row.created_at),
        else_=row.finished_run_end,  # failed, anomaly, healthy: since that run ended
    )


async def count_by_status(
    conn: AsyncConnection, now: datetime, *, type_name: str | None, name_part: str | None
) -> dict[Health, int]:
    """How many pipelines (of the type, whose name contains `name_part`) have each status."""
    health = _filtered(type_name, name_part).subquery()
    statement = select(health.c.rank, func.count()).group_by(health.c.rank)
    counts = dict((await conn.execute(statement, {"now": now})).all())
    return {health: counts.get(health.rank, 0) for health in Health}


async def list_by_status(
    conn: AsyncConnection,
    now: datetime,
    *,
    statuses: Collection[Health],
    type_name: str | None,
    name_part: str | None,
    limit: int,
    offset: int,
) -> list[Row[Any]]:
    """A page of pipelines worst first (then by name), with their status and since when."""
    health = _filtered(type_name, name_part).subquery("health")
    page = select(health)
    if statuses:
        page = page.where(health.c.rank.in_(sorted(status.rank for status in statuses)))
    page = page.order_by(health.c.rank, health.c.name).limit(limit).offset(offset).subquery()
    statement = select(page, _since(page.c).label("since")).order_by(page.c.rank, page.c.name)
    return list(await conn.execute(statement, {"now": now}))


async def pipeline_health(
    conn: AsyncConnection, now: datetime, pipeline_id: int
) -> Row[Any] | None:
    """One pipeline's row of `list_by_status`."""
    one = _health_statement().where(pipelines.c.id == pipeline_id).subquery()
    statement = select(one, _since(one.c).label("since"))
    return (await conn.execute(statement, {"now": now})).first()
