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

from sqlalchemy import (
    Row,
    Select,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from watcher_server.db.calendar import latest_of, plus_interval
from watcher_server.db.dialects import capabilities
from watcher_server.db.rows import RowsParameter
from watcher_server.db.types import UTCDateTime
from watcher_server.models import (
    AddressLineage,
    AnomalyDetectionResult,
    Pipeline,
    PipelineExecution,
    PipelineType,
)
from watcher_server.pipelines.health import Health

pipelines = Pipeline.__table__
pipeline_types = PipelineType.__table__
executions = PipelineExecution.__table__
results = AnomalyDetectionResult.__table__
lineage = AddressLineage.__table__
last_run = executions.alias("last_run")

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
    latest: Any,
    finished: dict[str, ColumnElement[Any]],
    timeliness_deadline: ColumnElement[datetime],
    freshness_deadline: ColumnElement[datetime],
) -> ColumnElement[int]:
    """The status as its rank (Health.rank): the first rule that applies, inactive first."""
    flagged = exists().where(results.c.pipeline_execution_id == finished["id"])
    overdue = timeliness_deadline < func.coalesce(latest.c.end_date, _NOW)
    return case(
        (pipelines.c.active.is_(False), Health.INACTIVE.rank),
        (finished["completed_successfully"].is_(False), Health.FAILED.rank),
        (overdue, Health.OVERDUE.rank),
        (freshness_deadline < _NOW, Health.STALE.rank),
        (flagged, Health.ANOMALY.rank),
        (and_(latest.c.id.is_not(None), latest.c.end_date.is_(None)), Health.RUNNING.rank),
        (latest.c.id.is_(None), Health.NEVER_RUN.rank),
        else_=Health.HEALTHY.rank,
    )


def _latest_lateral(name: str, *conditions: ColumnElement[bool]) -> Any:
    """The pipeline's latest run meeting `conditions`, as a LATERAL FROM item: one backward
    probe of (pipeline_id, start_date) per pipeline, where a join on a scalar subquery would
    let PostgreSQL hash the whole run table instead."""
    return (
        select(
            executions.c.id,
            executions.c.start_date,
            executions.c.end_date,
            executions.c.duration_seconds,
            executions.c.total_rows,
            executions.c.completed_successfully,
        )
        .where(executions.c.pipeline_id == pipelines.c.id, *conditions)
        # start_date alone: the index gives that order, where a tie-breaker would add a sort
        # step per pipeline (and the plan's estimate would cross the JIT's threshold).
        .order_by(executions.c.start_date.desc())
        .limit(1)
        .lateral(name)
    )


@cache
def _health_statement(lateral: bool) -> Select[Any]:
    """One row per pipeline: its status rank, deadlines, latest run and latest finished run.

    With `lateral` (PostgreSQL) the runs are LATERAL subqueries, the latest finished one read
    only while a run is going; without (SQLite, whose planner probes per row anyway) they are
    joins on scalar subqueries."""
    typed = pipelines.join(pipeline_types, pipeline_types.c.id == pipelines.c.pipeline_type_id)
    if lateral:
        latest = _latest_lateral("last_run")
        # Read only while the latest run is going (a one-time filter per pipeline).
        before = _latest_lateral(
            "finished_before", executions.c.end_date.is_not(None), latest.c.end_date.is_(None)
        )
        joined = typed.outerjoin(latest, true()).outerjoin(before, true())
        finished = {
            name: case((latest.c.end_date.is_not(None), latest.c[name]), else_=before.c[name])
            for name in ("id", "end_date", "completed_successfully")
        }
    else:
        latest, last_finished = last_run, executions.alias("last_finished")
        finished_id = case(
            (last_run.c.end_date.is_not(None), last_run.c.id),
            else_=_latest_run_id(executions.c.end_date.is_not(None)),
        )
        joined = typed.outerjoin(last_run, last_run.c.id == _latest_run_id()).outerjoin(
            last_finished, last_finished.c.id == finished_id
        )
        finished = {
            name: last_finished.c[name] for name in ("id", "end_date", "completed_successfully")
        }
    loaded = latest_of(
        pipelines.c.last_target_insert,
        pipelines.c.last_target_update,
        pipelines.c.last_target_soft_delete,
    )
    measured_from = func.coalesce(loaded, pipelines.c.created_at)
    timeliness_deadline = _deadline("timeliness", latest.c.start_date)
    freshness_deadline = _deadline("freshness", measured_from)
    columns = [
        pipelines.c.id,
        pipelines.c.name,
        pipelines.c.active,
        pipelines.c.created_at,
        pipelines.c.updated_at,
        pipeline_types.c.name.label("type_name"),
        _status_rank(latest, finished, timeliness_deadline, freshness_deadline).label("rank"),
        muted("timeliness").label("timeliness_muted"),
        muted("freshness").label("freshness_muted"),
        timeliness_deadline.label("timeliness_deadline"),
        freshness_deadline.label("freshness_deadline"),
        loaded.label("last_loaded_at"),
        latest.c.id.label("last_run_id"),
        latest.c.start_date.label("last_run_start"),
        latest.c.end_date.label("last_run_end"),
        latest.c.duration_seconds.label("last_run_duration"),
        latest.c.total_rows.label("last_run_rows"),
        latest.c.completed_successfully.label("last_run_succeeded"),
        finished["id"].label("finished_run_id"),
        finished["end_date"].label("finished_run_end"),
    ]
    return select(*columns).select_from(joined)


def _filtered(conn: AsyncConnection, type_name: str | None, name_part: str | None) -> Select[Any]:
    statement = _health_statement(lateral=capabilities(conn).lateral)
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


def overview_statement(
    conn: AsyncConnection,
    statuses: Collection[Health],
    type_name: str | None,
    name_part: str | None,
    limit: int,
    offset: int,
) -> Any:
    """The statement of `list_by_status`: page rows (status_count NULL) and one count per
    status present (status_count set), in no particular order."""
    health = _filtered(conn, type_name, name_part).cte("health")
    page = select(health)
    if statuses:
        page = page.where(health.c.rank.in_(sorted(status.rank for status in statuses)))
    page = page.order_by(health.c.rank, health.c.name).limit(limit).offset(offset).subquery()
    rows = select(null().label("status_count"), *page.c, _since(page.c).label("since"))
    counts = select(
        func.count().label("status_count"),
        *(
            health.c.rank if c.name == "rank" else cast(null(), c.type).label(c.name)
            for c in page.c
        ),
        cast(null(), UTCDateTime()).label("since"),
    ).group_by(health.c.rank)
    return union_all(rows, counts)


async def list_by_status(
    conn: AsyncConnection,
    now: datetime,
    *,
    statuses: Collection[Health],
    type_name: str | None,
    name_part: str | None,
    limit: int,
    offset: int,
) -> tuple[dict[Health, int], list[Row[Any]]]:
    """How many pipelines (of the type, whose name contains `name_part`) have each status,
    and a page of those with `statuses` (all when empty), worst first then by name, with
    since when. One statement: the statuses are computed once (a CTE read twice), then
    counted, and the page's rows are picked."""
    statement = overview_statement(conn, statuses, type_name, name_part, limit, offset)
    result = list(await conn.execute(statement, {"now": now}))
    by_rank = {row.rank: row.status_count for row in result if row.status_count is not None}
    listed = sorted((row for row in result if row.status_count is None), key=_worst_first)
    return {health: by_rank.get(health.rank, 0) for health in Health}, listed


def _worst_first(row: Row[Any]) -> tuple[int, str]:
    return row.rank, row.name


async def pipeline_health(
    conn: AsyncConnection, now: datetime, pipeline_id: int
) -> Row[Any] | None:
    """One pipeline's row of `list_by_status`."""
    one = _filtered(conn, None, None).where(pipelines.c.id == pipeline_id).subquery()
    statement = select(one, _since(one.c).label("since"))
    return (await conn.execute(statement, {"now": now})).first()


_ADDRESSES = RowsParameter("addresses", {"id": "bigint"})


async def writers_health(
    conn: AsyncConnection, now: datetime, address_ids: Collection[int]
) -> list[Row[Any]]:
    """Every pipeline writing one of the addresses, with its status: one row per (address_id,
    pipeline id, name, rank). One statement, the statuses computed for those pipelines only."""
    dialect = conn.dialect.name
    wanted = _ADDRESSES.select(dialect).subquery()
    writes = (
        select(lineage.c.target_address_id.label("address_id"), lineage.c.pipeline_id)
        .where(lineage.c.target_address_id.in_(select(wanted.c.id)))
        .distinct()
        .cte("writes")
    )
    health = (
        _filtered(conn, None, None)
        .where(pipelines.c.id.in_(select(writes.c.pipeline_id)))
        .cte("health")
    )
    statement = select(writes.c.address_id, health.c.id, health.c.name, health.c.rank).join_from(
        writes, health, health.c.id == writes.c.pipeline_id
    )
    ids = [(address_id,) for address_id in sorted(address_ids)]
    params = {"now": now, **_ADDRESSES.bind(dialect, ids)}
    return list(await conn.execute(statement, params))
