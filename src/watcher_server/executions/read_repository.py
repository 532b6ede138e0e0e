"""Reads of a pipeline's run history for the console: runs in a time window, and their count.
Every statement here only reads."""

from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from watcher_server.models import PipelineExecution

executions = PipelineExecution.__table__

# What a chart of runs draws: no metadata documents, no watermarks.
_CHARTED = (
    executions.c.id,
    executions.c.start_date,
    executions.c.end_date,
    executions.c.duration_seconds,
    executions.c.completed_successfully,
    executions.c.inserts,
    executions.c.updates,
    executions.c.soft_deletes,
    executions.c.total_rows,
    executions.c.throughput,
    executions.c.anomaly_flags,
)


async def runs_since(
    conn: AsyncConnection, pipeline_id: int, since: datetime, limit: int
) -> list[Row[Any]]:
    """The pipeline's latest `limit` runs that started at or after `since`, oldest first."""
    newest = (
        select(*_CHARTED)
        .where(executions.c.pipeline_id == pipeline_id, executions.c.start_date >= since)
        .order_by(executions.c.start_date.desc(), executions.c.id.desc())
        .limit(limit)
        .subquery()
    )
    statement = select(newest).order_by(newest.c.start_date, newest.c.id)
    return list(await conn.execute(statement))


async def successful_runs_since(
    conn: AsyncConnection, pipeline_id: int, since: datetime, limit: int
) -> list[Row[Any]]:
    """The pipeline's latest `limit` successful runs that started at or after `since`, newest
    first: what anomaly baselines are made of."""
    statement = (
        select(*_CHARTED)
        .where(
            executions.c.pipeline_id == pipeline_id,
            executions.c.start_date >= since,
            executions.c.completed_successfully.is_(True),
        )
        .order_by(executions.c.start_date.desc(), executions.c.id.desc())
        .limit(limit)
    )
    return list(await conn.execute(statement))


async def count_runs(conn: AsyncConnection, pipeline_id: int) -> int:
    statement = select(func.count()).where(executions.c.pipeline_id == pipeline_id)
    return (await conn.execute(statement)).scalar_one()
