"""The few statements OpenLineage needs beyond the domain services: a job's pipeline, run and
lineage in one read, and the run's metadata merged from earlier events."""

from typing import Any

from sqlalchemy import Row, and_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from watcher_server.lineage.repository import pipeline_edges_text
from watcher_server.models import Pipeline, PipelineExecution

executions = PipelineExecution.__table__
pipelines = Pipeline.__table__


_RUN = select(
    executions.c.id, executions.c.start_date, executions.c.end_date, executions.c.execution_metadata
)


async def find_pipeline_and_run(conn: AsyncConnection, name: str, key: str) -> Row[Any] | None:
    """The pipeline called `name` (pipeline_id, input_hash, its lineage's `edges` as
    lineage.repository.pipeline_edges_text writes them) and, when it has one, its run holding
    the idempotency key (id, start_date, end_date, execution_metadata; nulls otherwise)."""
    run = and_(executions.c.pipeline_id == pipelines.c.id, executions.c.idempotency_key == key)
    statement = (
        select(
            pipelines.c.id.label("pipeline_id"),
            pipelines.c.input_hash,
            pipeline_edges_text(pipelines.c.id).label("edges"),
            *_RUN.selected_columns,
        )
        .select_from(pipelines.outerjoin(executions, run))
        .where(pipelines.c.name == name)
    )
    return (await conn.execute(statement)).first()


async def lock_run(conn: AsyncConnection, execution_id: int) -> Row[Any]:
    """The run's times and metadata, locked until the transaction ends."""
    statement = _RUN.where(executions.c.id == execution_id).with_for_update()
    return (await conn.execute(statement)).one()


async def set_run_metadata(
    conn: AsyncConnection, execution_id: int, metadata: dict[str, Any]
) -> None:
    statement = (
        update(executions)
        .where(executions.c.id == execution_id)
        .values(execution_metadata=metadata)
    )
    await conn.execute(statement)
