"""The few statements OpenLineage needs beyond the domain services: what is kept of earlier
events on addresses and runs."""

from collections.abc import Collection
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from watcher_server.models import Address, PipelineExecution

addresses = Address.__table__
executions = PipelineExecution.__table__


async def get_address_metadata(
    conn: AsyncConnection, names: Collection[str]
) -> dict[str, dict[str, Any]]:
    """The stored metadata of the addresses called `names` (those that exist)."""
    statement = select(addresses.c.name, addresses.c.address_metadata).where(
        addresses.c.name.in_(names)
    )
    return {row.name: row.address_metadata or {} for row in await conn.execute(statement)}


async def get_address_ids(conn: AsyncConnection, names: Collection[str]) -> dict[str, int]:
    statement = select(addresses.c.name, addresses.c.id).where(addresses.c.name.in_(names))
    return {row.name: row.id for row in await conn.execute(statement)}


async def lock_run(conn: AsyncConnection, execution_id: int) -> Row[Any]:
    """The run's outcome and metadata, locked until the transaction ends."""
    statement = (
        select(
            executions.c.id,
            executions.c.start_date,
            executions.c.end_date,
            executions.c.execution_metadata,
        )
        .where(executions.c.id == execution_id)
        .with_for_update()
    )
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
