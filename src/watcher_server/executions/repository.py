"""Every SQL statement on pipeline_execution, and the pipeline update a successful run makes."""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Insert,
    Row,
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

from watcher_server.db.types import UTCDateTime
from watcher_server.db.upsert import UPSERT_DIALECTS, upsertable_insert_for
from watcher_server.models import Pipeline, PipelineExecution

executions = PipelineExecution.__table__
pipelines = Pipeline.__table__

# The hot statements are built once, with bind parameters: SQLAlchemy then reuses their cache
# key and compiled form, where a statement built per call costs its construction and a cache
# key walk on every request.
_START_COLUMNS = (
    "pipeline_id",
    "parent_id",
    "start_date",
    "date_recorded",
    "hour_recorded",
    "full_load",
    "execution_metadata",
    "idempotency_key",
)


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


def _moved_forward(column: ColumnElement[Any], flag: str) -> ColumnElement[Any]:
    """`column` set to the end time when `flag` is true and that moves it forward (never back)."""
    end = bindparam("end_at", type_=UTCDateTime())
    moves = and_(bindparam(flag, type_=Boolean()), or_(column.is_(None), column < end))
    return case((moves, end), else_=column)


_ADVANCE_PIPELINE = (
    update(pipelines)
    .where(pipelines.c.id == _param("advanced_id", pipelines.c.id))
    .values(
        load_lineage=False,
        watermark=func.coalesce(
            _param("new_watermark", pipelines.c.watermark), pipelines.c.watermark
        ),
        last_target_insert=_moved_forward(pipelines.c.last_target_insert, "inserted"),
        last_target_update=_moved_forward(pipelines.c.last_target_update, "updated"),
        last_target_soft_delete=_moved_forward(pipelines.c.last_target_soft_delete, "soft_deleted"),
    )
)
_DML_FLAGS = {
    "last_target_insert": "inserted",
    "last_target_update": "updated",
    "last_target_soft_delete": "soft_deleted",
}


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
    await conn.execute(_FINISH_EXECUTION, {**values, "execution_id": execution_id})


async def advance_pipeline(
    conn: AsyncConnection,
    pipeline_id: int,
    next_watermark: str | None,
    end_date: datetime,
    dml_counts: dict[str, int | None],
) -> None:
    """After a successful run: move the watermark to the run's upper bound, move each
    last_target_* forward (never back) when its count is positive, and clear load_lineage."""
    parameters: dict[str, Any] = {
        "advanced_id": pipeline_id,
        "new_watermark": next_watermark,
        "end_at": end_date,
    }
    for column_name, flag in _DML_FLAGS.items():
        parameters[flag] = bool(dml_counts.get(column_name))
    await conn.execute(_ADVANCE_PIPELINE, parameters)


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
