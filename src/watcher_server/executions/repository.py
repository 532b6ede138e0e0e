"""Every SQL statement on pipeline_execution, and the pipeline update a successful run makes."""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Insert,
    Row,
    Select,
    Update,
    and_,
    bindparam,
    case,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from watcher_server.anomalies.repository import has_active_rule, queue_detection_insert
from watcher_server.db.intervals import finite, seconds_between
from watcher_server.db.types import UTCDateTime, merged_document
from watcher_server.db.upsert import UPSERT_DIALECTS, upsertable_insert_for
from watcher_server.models import Pipeline, PipelineExecution
from watcher_server.reports import repository as reports

executions = PipelineExecution.__table__
pipelines = Pipeline.__table__
# Marks an idempotency key Watcher derived from a start's body; released when the run ends.
AUTO_KEY_PREFIX = "auto:"

# The hot statements are built once, with bind parameters: SQLAlchemy then reuses their cache
# key and compiled form, where a statement built per call costs its construction and a cache
# key walk on every request.
# The columns of a new run that its start gives (service.start_values), then its keys.
GIVEN_AT_START = (
    "parent_id",
    "start_date",
    "date_recorded",
    "hour_recorded",
    "full_load",
    "execution_metadata",
)
_START_COLUMNS = ("pipeline_id", *GIVEN_AT_START, "idempotency_key")


def _param(name: str, column: ColumnElement[Any]) -> BindParameter[Any]:
    return bindparam(name, type_=column.type)


def _insert_execution_statement(dialect: str) -> Insert:
    """INSERT … SELECT from the pipeline row: no row (so no id) when the pipeline, or the
    parent run when one is given, does not exist, or when a run with the same idempotency key
    does; watermarks not given come from the pipeline."""
    pipeline = pipelines.c
    parent_id = _param("parent_id", executions.c.parent_id)
    # Locking the parent (key share: ending it is not blocked) makes a concurrent cleanup of it
    # either wait for this insert or win, in which case the parent is not found: never a
    # foreign key violation.
    locked_parent = (
        select(executions.c.id)
        .where(executions.c.id == parent_id)
        .with_for_update(read=True, key_share=True)
    )
    source = select(
        *(_param(name, executions.c[name]) for name in _START_COLUMNS),
        func.coalesce(_param("watermark", pipeline.watermark), pipeline.watermark),
        func.coalesce(_param("next_watermark", pipeline.next_watermark), pipeline.next_watermark),
    ).where(
        pipeline.id == _param("pipeline_id", pipeline.id),
        or_(parent_id.is_(None), locked_parent.exists()),
    )
    columns = [*_START_COLUMNS, "watermark", "next_watermark"]
    return (
        upsertable_insert_for(dialect, executions)
        .from_select(columns, source)
        .on_conflict_do_nothing(index_elements=["pipeline_id", "idempotency_key"])
        .returning(executions.c.id)
    )


_INSERT_EXECUTION = {dialect: _insert_execution_statement(dialect) for dialect in UPSERT_DIALECTS}
_FIND_BY_KEY = select(executions.c.id).where(
    executions.c.pipeline_id == _param("pipeline_id", executions.c.pipeline_id),
    executions.c.idempotency_key == _param("key", executions.c.idempotency_key),
)
_LOCK_EXECUTION = (
    select(executions)
    .where(executions.c.id == _param("execution_id", executions.c.id))
    .with_for_update()
)
# The SET clause comes from the keys of the values passed at execution time.
_FINISH_EXECUTION = update(executions).where(
    executions.c.id == _param("execution_id", executions.c.id)
)
_EXECUTION_EXISTS = select(
    exists().where(executions.c.id == _param("execution_id", executions.c.id))
)


def _moved_forward(
    column: ColumnElement[Any], flag: str, end: ColumnElement[Any]
) -> ColumnElement[Any]:
    """`column` set to `end` when `flag` is true and that moves it forward (never back)."""
    moves = and_(bindparam(flag, type_=Boolean()), or_(column.is_(None), column < end))
    return case((moves, end), else_=column)


def _advance_values(new_watermark: ColumnElement[Any], end: ColumnElement[Any]) -> dict[str, Any]:
    """What a successful run ending at `end` changes on its pipeline: the watermark moves to
    the run's upper bound, each last_target_* moves forward (never back) to `end` when its
    count is positive, and load_lineage is cleared."""
    pipeline = pipelines.c
    return {
        "load_lineage": False,
        "watermark": func.coalesce(new_watermark, pipeline.watermark),
        "last_target_insert": _moved_forward(pipeline.last_target_insert, "inserted", end),
        "last_target_update": _moved_forward(pipeline.last_target_update, "updated", end),
        "last_target_soft_delete": _moved_forward(
            pipeline.last_target_soft_delete, "soft_deleted", end
        ),
    }


_ADVANCE_PIPELINE = (
    update(pipelines)
    .where(pipelines.c.id == _param("advanced_id", pipelines.c.id))
    .values(
        _advance_values(
            _param("new_watermark", pipelines.c.watermark), bindparam("end_at", UTCDateTime())
        )
    )
    # By the parameter, not the column: RETURNING writes columns unqualified, and in the
    # subquery `id` would be the rule's own.
    .returning(has_active_rule(_param("advanced_id", pipelines.c.id)))
)


# What the daily report adds up, returned by an end for its totals (see reports.repository).
_COUNTED = (
    "date_recorded",
    "inserts",
    "updates",
    "soft_deletes",
    "total_rows",
    "duration_seconds",
    "throughput",
)


def _finish_running(merge_metadata: bool) -> Update:
    """UPDATE of a running run to its end, RETURNING what its pipeline's update needs. It
    changes nothing when the run does not exist, has ended, starts after `latest_start` or
    belongs to another pipeline than the one given: the caller then explains why on the
    checked path.

    Duration and throughput are computed from the stored start, in SQL; runs at the edges of
    time take the checked path, where Python can subtract them. With `merge_metadata`
    (PostgreSQL only, see db.types.merged_document), metadata sent at the end is merged over
    the start's, and a run whose start is after `end_at` (but not after `latest_start`) ends
    at its start, with `early_end_metadata` merged instead (see service._recorded_end).
    Without, the statement leaves metadata alone and accepts no end before the start
    (`latest_start` is `end_at`): such ends, and ends that send metadata, take the checked
    path.
    """
    run = executions.c
    end = bindparam("end_at", type_=UTCDateTime())
    if merge_metadata:
        early = run.start_date > end
        latest_start = bindparam("latest_start", type_=UTCDateTime())
        values = _ended_values(case((early, run.start_date), else_=end))
        values["execution_metadata"] = _merged_metadata(early)
    else:
        latest_start, values = end, _ended_values(end)
    expected_pipeline = _param("expected_pipeline_id", run.pipeline_id)
    guards = [
        run.id == _param("execution_id", run.id),
        run.end_date.is_(None),
        run.start_date <= latest_start,
        or_(expected_pipeline.is_(None), run.pipeline_id == expected_pipeline),
        finite(run.start_date),
        finite(end),
    ]
    return (
        update(executions)
        .where(*guards)
        .values(values)
        .returning(
            run.id,
            run.pipeline_id,
            run.next_watermark,
            run.completed_successfully,
            run.end_date,
            *(run[name] for name in _COUNTED),
        )
    )


def _ended_values(end: ColumnElement[Any]) -> dict[str, Any]:
    """The columns an end sets on a running run ending at `end`, from the bind parameters."""
    run = executions.c
    seconds = seconds_between(run.start_date, end)
    total_rows = _param("total_rows", run.total_rows)
    return {
        "end_date": end,
        "completed_successfully": _param("completed_successfully", run.completed_successfully),
        "duration_seconds": func.round(seconds),
        "throughput": case((and_(total_rows.is_not(None), seconds > 0), total_rows / seconds)),
        "inserts": _param("inserts", run.inserts),
        "updates": _param("updates", run.updates),
        "soft_deletes": _param("soft_deletes", run.soft_deletes),
        "total_rows": total_rows,
        # (substr, not LIKE: SQLite's LIKE ignores case, and "Auto:" may be a caller's key)
        "idempotency_key": case(
            (func.substr(run.idempotency_key, 1, len(AUTO_KEY_PREFIX)) == AUTO_KEY_PREFIX, None),
            else_=run.idempotency_key,
        ),
    }


def _merged_metadata(early: ColumnElement[bool]) -> ColumnElement[Any]:
    """The run's metadata with `early_end_metadata` merged over it when it ends `early`, else
    `added_metadata` when `merge_metadata` says some was sent."""
    metadata = executions.c.execution_metadata
    added = bindparam("added_metadata", type_=metadata.type)
    early_added = bindparam("early_end_metadata", type_=metadata.type)
    return case(
        (early, merged_document(metadata, early_added)),
        (bindparam("merge_metadata", type_=Boolean()), merged_document(metadata, added)),
        else_=metadata,
    )


def _end_running_statement() -> Select:
    """The whole end of a running run as one statement, where WITH can hold writes
    (PostgreSQL): finish the run, add it to its day's totals, advance its pipeline and queue
    anomaly detection when it succeeded. Selects the run's id; no row when the run was not
    changed."""
    finished = _finish_running(merge_metadata=True).cte("finished")
    succeeded = finished.c.completed_successfully
    advanced = (
        update(pipelines)
        .where(pipelines.c.id == finished.c.pipeline_id, succeeded)
        .values(_advance_values(finished.c.next_watermark, finished.c.end_date))
        .cte("advanced")
    )
    queued = queue_detection_insert(
        finished.c.id, finished.c.pipeline_id, _param("queued_at", executions.c.end_date), succeeded
    ).cte("queued")
    counted = reports.add_runs_statement("postgresql", finished).cte("counted")
    return select(finished.c.id).add_cte(advanced, queued, counted)


_END_RUNNING = _end_running_statement()
_FINISH_RUNNING = _finish_running(merge_metadata=False)


def _end_parameters(
    execution_id: int, expected_pipeline_id: int | None, end_date: datetime, outcome: dict[str, Any]
) -> dict[str, Any]:
    return {
        **outcome,
        "merge_metadata": outcome["added_metadata"] is not None,
        "execution_id": execution_id,
        "expected_pipeline_id": expected_pipeline_id,
        "end_at": end_date,
    }


async def end_running_execution(
    conn: AsyncConnection,
    execution_id: int,
    expected_pipeline_id: int | None,
    end_date: datetime,
    outcome: dict[str, Any],
    queued_at: datetime,
) -> bool:
    """PostgreSQL: end a running run, advance its pipeline and queue detection, in one
    statement (see `_end_running_statement`); whether it did."""
    parameters = _end_parameters(execution_id, expected_pipeline_id, end_date, outcome)
    parameters["queued_at"] = queued_at
    return (await conn.execute(_END_RUNNING, parameters)).first() is not None


async def finish_running_execution(
    conn: AsyncConnection,
    execution_id: int,
    expected_pipeline_id: int | None,
    end_date: datetime,
    outcome: dict[str, Any],
) -> Row[Any] | None:
    """End a running run if every rule holds (see `_finish_running`) and add it to its day's
    totals: its pipeline_id, next_watermark, completed_successfully and end_date; None when
    nothing changed."""
    parameters = _end_parameters(execution_id, expected_pipeline_id, end_date, outcome)
    run = (await conn.execute(_FINISH_RUNNING, parameters)).first()
    if run is not None:
        await reports.add_ended_run(conn, execution_id)
    return run


async def insert_execution(
    conn: AsyncConnection, values: dict[str, Any], watermark: str | None, next_watermark: str | None
) -> int | None:
    """Insert a run of `values["pipeline_id"]` in one statement; None when the pipeline (or the
    parent run) does not exist, or a run with the same idempotency key does.

    Watermarks the caller did not give are copied from the pipeline inside the same statement.
    """
    parameters = {name: values.get(name) for name in _START_COLUMNS}
    parameters.update(watermark=watermark, next_watermark=next_watermark)
    statement = _INSERT_EXECUTION[conn.dialect.name]
    return (await conn.execute(statement, parameters)).scalar_one_or_none()


async def find_by_idempotency_key(conn: AsyncConnection, pipeline_id: int, key: str) -> int | None:
    parameters = {"pipeline_id": pipeline_id, "key": key}
    return (await conn.execute(_FIND_BY_KEY, parameters)).scalar_one_or_none()


async def execution_exists(conn: AsyncConnection, execution_id: int) -> bool:
    return bool((await conn.execute(_EXECUTION_EXISTS, {"execution_id": execution_id})).scalar())


async def lock_execution(conn: AsyncConnection, execution_id: int) -> Row[Any] | None:
    """The run's row, locked until the transaction ends so two end calls cannot interleave."""
    return (await conn.execute(_LOCK_EXECUTION, {"execution_id": execution_id})).first()


async def finish_execution(
    conn: AsyncConnection, execution_id: int, values: dict[str, Any]
) -> None:
    """End the locked, running run with `values`, and add it to its day's totals."""
    await conn.execute(_FINISH_EXECUTION, {**values, "execution_id": execution_id})
    await reports.add_ended_run(conn, execution_id)


async def advance_pipeline(
    conn: AsyncConnection,
    pipeline_id: int,
    next_watermark: str | None,
    end_date: datetime,
    dml_flags: dict[str, bool],
) -> bool:
    """After a successful run: see `_advance_values`; `dml_flags` say which counts were > 0.
    Whether the pipeline has an active anomaly rule (read in the same statement)."""
    parameters = {
        "advanced_id": pipeline_id,
        "new_watermark": next_watermark,
        "end_at": end_date,
        **dml_flags,
    }
    return bool((await conn.execute(_ADVANCE_PIPELINE, parameters)).scalar())


async def get_execution_tree(conn: AsyncConnection, execution_id: int) -> list[Row[Any]]:
    """The run and every run nested under it, at any depth."""
    tree = select(executions).where(executions.c.id == execution_id).cte("tree", recursive=True)
    tree = tree.union_all(select(executions).join(tree, executions.c.parent_id == tree.c.id))
    return list(await conn.execute(select(tree).order_by(tree.c.id)))


async def list_executions(
    conn: AsyncConnection, pipeline_id: int | None, limit: int, offset: int
) -> list[Row[Any]]:
    statement = select(executions)
    if pipeline_id is not None:
        statement = statement.where(executions.c.pipeline_id == pipeline_id)
    statement = statement.order_by(executions.c.start_date.desc(), executions.c.id.desc())
    return list(await conn.execute(statement.limit(limit).offset(offset)))
