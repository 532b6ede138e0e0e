"""Every SQL statement on pipeline_execution, and the pipeline update a successful run makes."""

from datetime import datetime
from typing import Any

from sqlalchemy import Row, case, exists, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from watcher_server.db.types import UTCDateTime
from watcher_server.models import Pipeline, PipelineExecution

executions = PipelineExecution.__table__
pipelines = Pipeline.__table__


async def insert_execution(
    conn: AsyncConnection, values: dict[str, Any], watermark: str | None, next_watermark: str | None
) -> int | None:
    """Insert a run of `values["pipeline_id"]` in one statement; None when the pipeline (or the
    parent run) does not exist.

    Watermarks the caller did not give are copied from the pipeline inside the same statement.
    """
    pipeline = pipelines.c
    columns = {key: literal(value, executions.c[key].type) for key, value in values.items()}
    columns["watermark"] = _given_or(watermark, pipeline.watermark)
    columns["next_watermark"] = _given_or(next_watermark, pipeline.next_watermark)
    source = select(*columns.values()).where(pipeline.id == values["pipeline_id"])
    if values.get("parent_id") is not None:
        # Locking the parent (key share: ending it is not blocked) makes a concurrent delete of it
        # either wait for this insert or win, in which case the parent is not found: never a
        # foreign key violation.
        parent = (
            select(executions.c.id)
            .where(executions.c.id == values["parent_id"])
            .with_for_update(read=True, key_share=True)
        )
        source = source.where(parent.exists())
    statement = executions.insert().from_select(list(columns), source).returning(executions.c.id)
    return (await conn.execute(statement)).scalar_one_or_none()


def _given_or(value: str | None, column: ColumnElement[Any]) -> ColumnElement[Any]:
    return column if value is None else literal(value, column.type)


async def execution_exists(conn: AsyncConnection, execution_id: int) -> bool:
    statement = select(exists().where(executions.c.id == execution_id))
    return bool((await conn.execute(statement)).scalar())


async def pipeline_exists(conn: AsyncConnection, pipeline_id: int) -> bool:
    statement = select(exists().where(pipelines.c.id == pipeline_id))
    return bool((await conn.execute(statement)).scalar())


async def lock_execution(conn: AsyncConnection, execution_id: int) -> Row[Any] | None:
    """The run's row, locked until the transaction ends so two end calls cannot interleave."""
    statement = select(executions).where(executions.c.id == execution_id).with_for_update()
    return (await conn.execute(statement)).first()


async def finish_execution(
    conn: AsyncConnection, execution_id: int, values: dict[str, Any]
) -> None:
    await conn.execute(update(executions).where(executions.c.id == execution_id).values(**values))


async def advance_pipeline(
    conn: AsyncConnection,
    pipeline_id: int,
    next_watermark: str | None,
    end_date: datetime,
    dml_counts: dict[str, int | None],
) -> None:
    """After a successful run: move the watermark to the run's upper bound, move each
    last_target_* forward (never back) when its count is positive, and clear load_lineage."""
    values: dict[str, Any] = {"load_lineage": False}
    if next_watermark is not None:
        values["watermark"] = next_watermark
    for column_name, count in dml_counts.items():
        if count:
            column = pipelines.c[column_name]
            end = literal(end_date, UTCDateTime())
            values[column_name] = case((or_(column.is_(None), column < end), end), else_=column)
    await conn.execute(update(pipelines).where(pipelines.c.id == pipeline_id).values(**values))


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
