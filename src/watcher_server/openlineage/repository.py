"""The few statements OpenLineage needs beyond the domain services: a job's pipeline, run,
lineage and datasets in one read, and the run's metadata merged from earlier events."""

from collections.abc import Collection
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    BindParameter,
    CompoundSelect,
    Row,
    String,
    and_,
    bindparam,
    func,
    literal,
    null,
    or_,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from watcher_server.db.bulk import is_one_of
from watcher_server.db.dialects import capabilities
from watcher_server.db.types import UTCDateTime
from watcher_server.db.upsert import upsertable_insert_for
from watcher_server.executions.repository import GIVEN_AT_START
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
def _job_statement(dialect: str, with_edges: bool, starting: bool) -> CompoundSelect:
    """The pipeline row, then one row per address, in one round trip (UNION ALL): the two
    reads every event makes before it writes. `starting`: the run is also inserted in the same
    statement when the pipeline exists and holds no run with the key (`started` then true)."""
    edges = pipeline_edges_text(pipelines.c.id) if with_edges else null().cast(String)
    run = and_(
        executions.c.pipeline_id == pipelines.c.id,
        executions.c.idempotency_key == bindparam("key"),
    )
    joined = pipelines.outerjoin(executions, run)
    run_columns = list(_RUN.selected_columns)
    started = literal(False)
    if starting:
        # The insert and the look-up see the same snapshot: the run found is one that
        # existed before, the run inserted a new one, never both (the key is unique).
        inserted = _start_insert(dialect).cte("inserted")
        joined = joined.outerjoin(inserted, true())
        run_columns = [
            func.coalesce(column, inserted.c[column.name]).label(column.name)
            for column in run_columns
        ]
        started = inserted.c.id.is_not(None)
    pipeline = (
        select(
            literal(True).label("is_pipeline"),
            pipelines.c.id.label("pipeline_id"),
            pipelines.c.input_hash,
            edges.label("edges"),
            *run_columns,
            null().cast(String).label("name"),
            started.label("started"),
        )
        .select_from(joined)
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
        literal(False),
    ).where(named)
    return union_all(pipeline, address)


def _start_insert(dialect: str) -> Any:
    """INSERT … SELECT of a new run of the pipeline called `name`, keyed by `key`: no row when
    the pipeline, or the parent run when one is given, does not exist, or a run holds the key
    (as executions.repository's insert, the pipeline found by name)."""
    parent_id = _param("parent_id")
    locked_parent = (
        select(executions.c.id)
        .where(executions.c.id == parent_id)
        .with_for_update(read=True, key_share=True)
    )
    source = select(
        pipelines.c.id,
        *(_param(name) for name in GIVEN_AT_START),
        bindparam("key", type_=executions.c.idempotency_key.type),
        pipelines.c.watermark,
        pipelines.c.next_watermark,
    ).where(
        pipelines.c.name == bindparam("name"),
        or_(parent_id.is_(None), locked_parent.exists()),
    )
    columns = ["pipeline_id", *GIVEN_AT_START, "idempotency_key", "watermark", "next_watermark"]
    return (
        upsertable_insert_for(dialect, executions)
        .from_select(columns, source)
        .on_conflict_do_nothing(index_elements=["pipeline_id", "idempotency_key"])
        .returning(*_RUN.selected_columns)
    )


def _param(name: str) -> BindParameter[Any]:
    return bindparam(name, type_=executions.c[name].type)


async def find_job(
    conn: AsyncConnection,
    name: str,
    key: str,
    address_names: Collection[str],
    with_edges: bool,
    start: dict[str, Any] | None = None,
) -> tuple[Row[Any] | None, list[AddressState]]:
    """The pipeline called `name` (pipeline_id, input_hash, and when asked its lineage's
    `edges` as lineage.repository.pipeline_edges_text writes them) with, when it has one, its
    run holding the idempotency key (id, start_date, end_date, execution_metadata; nulls
    otherwise); and the states of the addresses called `address_names` (at most one chunk of
    `db.bulk.key_chunks`) that exist.

    With `start` (the new run's columns, executions.service.start_values), on a database whose
    statements chain writes, a pipeline without such a run gets it inserted by the same
    statement, and the row says `started`."""
    values = {"name": name, "key": key, "names": list(address_names)}
    starting = start is not None and capabilities(conn).writes_in_one_statement
    if starting:
        values.update({column: start[column] for column in GIVEN_AT_START})
    statement = _job_statement(conn.dialect.name, with_edges, starting)
    pipeline, states = None, []
    for row in await conn.execute(statement, values):
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
