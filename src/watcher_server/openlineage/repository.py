"""The few statements OpenLineage needs beyond the domain services: a job's pipeline, run,
lineage and datasets in one read, and the run's metadata merged from earlier events."""

from collections.abc import Collection
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    CompoundSelect,
    Row,
    String,
    and_,
    bindparam,
    literal,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from watcher_server.db.bulk import is_one_of
from watcher_server.db.types import UTCDateTime
from watcher_server.lineage.repository import pipeline_edges_text
from watcher_server.models import Address, Pipeline, PipelineExecution

addresses = Address.__table__
executions = PipelineExecution.__table__
pipelines = Pipeline.__table__


_RUN = select(
    executions.c.id, executions.c.start_date, executions.c.end_date, executions.c.execution_metadata
)


class AddressState(NamedTuple):
    """What `addresses.repository.get_address_states` answers with metadata, read here."""

    id: int
    name: str
    input_hash: str | None
    address_metadata: dict[str, Any] | None


@cache
def _job_statement(dialect: str, with_edges: bool) -> CompoundSelect:
    """The pipeline row, then one row per address, in one round trip (UNION ALL): the two
    reads every event makes before it writes."""
    edges = pipeline_edges_text(pipelines.c.id) if with_edges else null().cast(String)
    run = and_(
        executions.c.pipeline_id == pipelines.c.id,
        executions.c.idempotency_key == bindparam("key"),
    )
    pipeline = (
        select(
            literal(True).label("is_pipeline"),
            pipelines.c.id.label("pipeline_id"),
            pipelines.c.input_hash,
            edges.label("edges"),
            *_RUN.selected_columns,
            null().cast(String).label("name"),
        )
        .select_from(pipelines.outerjoin(executions, run))
        .where(pipelines.c.name == bindparam("name"))
    )
    named = is_one_of(dialect, addresses.c.name, "names", item_type=String())
    address = select(
        literal(False),
        null().cast(BigInteger),
        addresses.c.input_hash,
        null().cast(String),
        addresses.c.id,
        null().cast(UTCDateTime),
        null().cast(UTCDateTime),
        addresses.c.address_metadata,
        addresses.c.name,
    ).where(named)
    return union_all(pipeline, address)


async def find_job(
    conn: AsyncConnection,
    name: str,
    key: str,
    address_names: Collection[str],
    with_edges: bool,
) -> tuple[Row[Any] | None, list[AddressState]]:
    """The pipeline called `name` (pipeline_id, input_hash, and when asked its lineage's
    `edges` as lineage.repository.pipeline_edges_text writes them) with, when it has one, its
    run holding the idempotency key (id, start_date, end_date, execution_metadata; nulls
    otherwise); and the states of the addresses called `address_names` (at most one chunk of
    `db.bulk.key_chunks`) that exist."""
    values = {"name": name, "key": key, "names": list(address_names)}
    pipeline, states = None, []
    for row in await conn.execute(_job_statement(conn.dialect.name, with_edges), values):
        if row.is_pipeline:
            pipeline = row
        else:
            states.append(AddressState(row.id, row.name, row.input_hash, row.execution_metadata))
    return pipeline, states


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
