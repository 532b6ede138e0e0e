"""OpenLineage events onto Watcher's domains, through their own services.

An event is applied in steps, each idempotent and each its own transaction in the service that
owns it (the pipeline, the addresses, the run, the lineage, the run's end), so that a producer
retrying an event after any failure completes what the first attempt began.
"""

from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from watcher_server.addresses import repository as addresses_repo
from watcher_server.addresses.rules import declared_config
from watcher_server.addresses.service import get_or_create_addresses
from watcher_server.common.digest import config_digest
from watcher_server.db import Database
from watcher_server.errors import Conflict, InvalidInput
from watcher_server.executions import service as executions
from watcher_server.executions.schemas import ExecutionEnd, ExecutionStart
from watcher_server.lineage import repository as lineage_repo
from watcher_server.lineage.closure import Edge
from watcher_server.lineage.schemas import MAX_EDGES_PER_PIPELINE
from watcher_server.lineage.service import replace_lineage_between
from watcher_server.models.pipelines import NAME_LENGTH
from watcher_server.openlineage import mapping
from watcher_server.openlineage import repository as repo
from watcher_server.openlineage.naming import DEFAULT_TYPE, pipeline_type
from watcher_server.openlineage.schemas import (
    TERMINAL,
    Dataset,
    DatasetEvent,
    EventOut,
    Job,
    JobEvent,
    ParentFacet,
    RunEvent,
)
from watcher_server.pipelines import repository as pipelines_repo
from watcher_server.pipelines import service as pipelines
from watcher_server.pipelines.schemas import PipelineCreate
from watcher_server.settings import Settings

# A run is found by its runId, kept as its idempotency key: unique per pipeline, never released.
RUN_KEY_PREFIX = "openlineage:"


class Context:
    """What every step needs: the database, the time the event arrived and the settings."""

    def __init__(self, db: Database, now: datetime, settings: Settings) -> None:
        self.db = db
        self.now = now
        self.settings = settings


def run_key(run_id: object) -> str:
    return f"{RUN_KEY_PREFIX}{run_id}"


def check_names(job: Job | None, datasets: dict[str, list[Dataset]], where: str = "") -> None:
    """Names are kept whole: one longer than Watcher stores is refused, never cut."""
    if job is not None and len(job.pipeline_name) > NAME_LENGTH:
        raise InvalidInput(
            f"the pipeline name {job.pipeline_name!r} is longer than {NAME_LENGTH} characters",
            f"{where}job.name",
        )
    if job is not None and len(pipeline_type(job.facets) or "") > NAME_LENGTH:
        raise InvalidInput(
            f"the integration is longer than {NAME_LENGTH} characters",
            f"{where}job.facets.jobType.integration",
        )
    for side, items in datasets.items():
        for index, dataset in enumerate(items):
            if len(dataset.address_name) > NAME_LENGTH:
                raise InvalidInput(
                    f"the address name {dataset.address_name!r} is longer than {NAME_LENGTH} "
                    "characters",
                    f"{side}.name" if side == "dataset" else f"{side}[{index}].name",
                )


class RunState(NamedTuple):
    start_date: datetime
    end_date: datetime | None
    metadata: dict[str, Any]


async def record_run_event(ctx: Context, event: RunEvent) -> EventOut:
    """A run's event: its pipeline, its parent, its datasets, then what its type does."""
    parent = event.run.facets.parent
    check_names(event.job, {"inputs": event.inputs, "outputs": event.outputs})
    if parent is not None:
        check_names(parent.job, {}, "run.facets.parent.")
    parent_id = None if parent is None else await _parent_run(ctx, parent, event.eventTime)
    section = mapping.run_section(event)
    found = await _declare_and_find(ctx, event, section, parent_id)
    pipeline_id, execution_id, run = found.pipeline_id, found.execution_id, found.run
    if run is None:
        execution_id, run = await _start_run(ctx, pipeline_id, parent_id, event, section)
    out = EventOut(
        status="recorded",
        message=f"{event.eventType} recorded",
        pipeline_id=pipeline_id,
        execution_id=execution_id,
        run_id=event.run.runId,
        address_ids=sorted(found.addresses.values()),
    )
    if event.eventType not in TERMINAL:
        return out
    if run.end_date is not None:
        return _ignored(out, event.eventType)
    try:
        await _end_run(ctx, event, pipeline_id, execution_id, run, found)
    except Conflict:  # another terminal event ended it meanwhile
        return _ignored(out, event.eventType)
    return out


class Found(NamedTuple):
    pipeline_id: int
    addresses: dict[str, int]
    execution_id: int | None
    run: RunState | None
    edges: set[Edge] | None = None  # the pipeline's lineage, when read with it


async def _declare_and_find(
    ctx: Context, event: RunEvent, section: dict[str, Any], parent_id: int | None
) -> Found:
    """The job's pipeline, the datasets' addresses, and the run when it exists, with the
    event's section merged into its metadata. The usual event (a known pipeline and known
    addresses, nothing new to merge) is one statement, without a transaction: a read, which
    for a START of a known job also inserts its run where the database allows."""
    terminal = event.eventType in TERMINAL
    datasets = [*event.inputs, *event.outputs]
    names = {dataset.address_name for dataset in datasets}
    key = run_key(event.run.runId)
    start = None
    if event.eventType == "START":
        start = executions.start_values(_run_start(event, section, parent_id), ctx.now)
    async with ctx.db.autocommit() as conn:
        # Only an end writes lineage: the edges are read for it alone.
        row, stored = await repo.find_job(
            conn, event.job.pipeline_name, key, names, terminal, start
        )
    if row is not None and row.started:
        executions.note_start(row.pipeline_id, row.id, inserted=True)
    pipeline_id = await _pipeline(ctx, event.job, row)
    addresses = await _declare(ctx, datasets, stored)
    edges = None if row is None or not terminal else lineage_repo.parse_edges(row.edges)
    if row is None or row.id is None:
        return Found(pipeline_id, addresses, None, None, edges)
    run = RunState(row.start_date, row.end_date, row.execution_metadata or {})
    merged = mapping.merged_run_metadata(run.metadata, section)
    if merged == run.metadata or terminal:  # a terminal's goes with the end
        return Found(pipeline_id, addresses, row.id, run._replace(metadata=merged), edges)
    async with ctx.db.transaction() as conn:
        run = await _merge_run_metadata(conn, row.id, section, event.eventType)
    return Found(pipeline_id, addresses, row.id, run, edges)


async def _start_run(
    ctx: Context,
    pipeline_id: int,
    parent_id: int | None,
    event: RunEvent,
    section: dict[str, Any],
) -> tuple[int, RunState]:
    """Start the run the event is the first to tell of (at its eventTime, whatever its type);
    if a concurrent event started it first, that run with this event's section merged."""
    start = _run_start(event, section, parent_id, pipeline_id)
    key = run_key(event.run.runId)
    execution_id, replayed = await executions.start_execution(ctx.db, start, ctx.now, key)
    if not replayed:
        return execution_id, RunState(event.eventTime, None, {mapping.KEY: section})
    async with ctx.db.transaction() as conn:  # a concurrent event started it first
        run = await _merge_run_metadata(conn, execution_id, section, event.eventType)
    return execution_id, run


def _run_start(
    event: RunEvent, section: dict[str, Any], parent_id: int | None, pipeline_id: int | None = None
) -> ExecutionStart:
    """The start of the run an event is the first to tell of: at its eventTime, whatever its
    type, with its section as the run's metadata."""
    return ExecutionStart.model_construct(
        pipeline_id=pipeline_id,
        start_date=event.eventTime,
        parent_id=parent_id,
        execution_metadata={mapping.KEY: section},
    )


def _ignored(out: EventOut, event_type: str) -> EventOut:
    message = f"{event_type} ignored: run {out.execution_id} had already ended"
    return out.model_copy(update={"status": "ignored", "message": message})


async def _pipeline(ctx: Context, job: Job, known: Row[Any] | None = None) -> int:
    """The job's pipeline, created on first sight. Its type is the job's integration; an
    event that does not name one leaves an existing pipeline's type alone. `known` is the
    pipeline's row (pipeline_id, input_hash) when the caller read it: then an unchanged
    pipeline costs no statement."""
    type_name = pipeline_type(job.facets)
    if known is None and type_name is None:
        async with ctx.db.autocommit() as conn:
            found = await pipelines_repo.get_pipeline_id_by_name(conn, job.pipeline_name)
        if found is not None:
            return found
    if known is not None and type_name is None:
        return known.pipeline_id
    data = PipelineCreate(
        name=job.pipeline_name,
        pipeline_type_name=type_name or DEFAULT_TYPE,
        pipeline_metadata={mapping.KEY: {"namespace": job.namespace, "name": job.name}},
    )
    # The digest sync_pipeline compares (its configuration but the name and the watermark).
    config = data.model_dump(exclude={"name", "next_watermark"}, exclude_none=True)
    if known is not None and known.input_hash == config_digest(config):
        return known.pipeline_id
    settings = ctx.settings
    result, _ = await pipelines.sync_pipeline(
        ctx.db,
        data,
        ctx.now,
        settings.watcher_default_load_lineage,
        settings.watcher_auto_create_anomaly_detection_rules,
    )
    return result.id


async def _parent_run(ctx: Context, parent: ParentFacet, seen_at: datetime) -> int:
    """The parent run, created (started when its child was seen) if unknown."""
    pipeline_id = await _pipeline(ctx, parent.job)
    start = ExecutionStart.model_construct(
        pipeline_id=pipeline_id,
        start_date=seen_at,
        execution_metadata={mapping.KEY: mapping.parent_section(parent)},
    )
    execution_id, _ = await executions.start_execution(
        ctx.db, start, ctx.now, run_key(parent.run.runId)
    )
    return execution_id


async def _address_states(conn: AsyncConnection, names: set[str]) -> list[Row[Any]]:
    """The addresses' states with the metadata their facets are merged into."""
    return await addresses_repo.get_address_states(conn, names, with_metadata=True)


async def _declare(
    ctx: Context,
    datasets: list[Dataset],
    stored: list[Row[Any]] | list[repo.AddressState] | None = None,
) -> dict[str, int]:
    """Get-or-create the datasets' addresses, keeping their namespace and facets: name → id.

    `stored` are the addresses' states when the caller read them already. When every address
    exists with the digest of its declaration (the usual case), nothing is written.
    """
    if not datasets:
        return {}
    if stored is None:
        async with ctx.db.autocommit() as conn:
            stored = await _address_states(conn, {d.address_name for d in datasets})
    states = {row.name: row for row in stored}
    metadata = {row.name: row.address_metadata or {} for row in stored}
    declarations = mapping.address_declarations(datasets, metadata)
    if all(
        d.name in states and states[d.name].input_hash == config_digest(declared_config(d))
        for d in declarations
    ):
        return {d.name: states[d.name].id for d in declarations}
    async with ctx.db.transaction() as conn:
        refs = await get_or_create_addresses(conn, declarations, ctx.now)
    return {name: ref.id for name, ref in refs.items()}


async def _merge_run_metadata(
    conn: AsyncConnection, execution_id: int, section: dict[str, Any], event_type: str
) -> RunState:
    """Merge the event's section into the run's metadata (a terminal event's is merged by
    the end itself); answers the run with the merged metadata."""
    run = await repo.lock_run(conn, execution_id)
    metadata = mapping.merged_run_metadata(run.execution_metadata, section)
    # A terminal event's section goes in with the end; after the end, it changes nothing.
    if event_type not in TERMINAL and metadata != run.execution_metadata:
        await repo.set_run_metadata(conn, execution_id, metadata)
    return RunState(run.start_date, run.end_date, metadata)


async def _end_run(
    ctx: Context,
    event: RunEvent,
    pipeline_id: int,
    execution_id: int,
    run: RunState,
    found: Found,
) -> None:
    """COMPLETE ends the run successfully after writing its lineage; FAIL and ABORT as failed.
    An end reported before the run's start (clocks of two hosts) ends it at its start."""
    metadata = run.metadata
    succeeded = event.eventType == "COMPLETE"
    outputs = mapping.run_datasets(metadata, "outputs")
    if succeeded:
        inputs = mapping.run_datasets(metadata, "inputs")
        await _write_lineage(ctx, pipeline_id, inputs, outputs, found.addresses, found.edges)
    end = ExecutionEnd.model_construct(
        id=execution_id,
        end_date=max(event.eventTime, run.start_date),
        completed_successfully=succeeded,
        total_rows=mapping.total_rows(event.outputs),
        execution_metadata=metadata,
    )
    tolerance = timedelta(seconds=ctx.settings.watcher_end_before_start_tolerance_seconds)
    # A successful run that wrote outputs loaded them: its end moves last_target_insert
    # (freshness), in the end's own statement.
    await executions.end_execution(ctx.db, end, ctx.now, tolerance, loaded=bool(outputs))


async def _write_lineage(
    ctx: Context,
    pipeline_id: int,
    inputs: list[str],
    outputs: list[str],
    known: dict[str, int],
    edges: set[Edge] | None = None,
) -> None:
    """The pipeline's lineage becomes the run's inputs x outputs (closure included). A run that
    reported no inputs or no outputs says nothing of its lineage: it is left as it was.
    `edges` are the pipeline's edges when read with it (then not read again)."""
    if not inputs or not outputs:
        return
    if len(inputs) * len(outputs) > MAX_EDGES_PER_PIPELINE:
        raise InvalidInput(
            f"{len(inputs)} inputs x {len(outputs)} outputs exceed the "
            f"{MAX_EDGES_PER_PIPELINE} lineage relationships a pipeline may declare",
            "outputs",
        )
    ids = dict(known)
    if missing := {*inputs, *outputs} - set(ids):  # reported by earlier events of the run
        async with ctx.db.transaction() as conn:
            ids.update({row.name: row.id for row in await _address_states(conn, missing)})
    sources = {ids[name] for name in inputs}
    targets = {ids[name] for name in outputs}
    await replace_lineage_between(ctx.db, pipeline_id, sources, targets, ctx.now, edges)


async def record_dataset_event(ctx: Context, event: DatasetEvent) -> EventOut:
    """A dataset's event: its address, with its facets."""
    check_names(None, {"dataset": [event.dataset]})
    addresses = await _declare(ctx, [event.dataset])
    return EventOut(
        status="recorded", message="dataset recorded", address_ids=sorted(addresses.values())
    )


async def record_job_event(ctx: Context, event: JobEvent) -> EventOut:
    """A job's event: its pipeline, its datasets and, when it gives both, its lineage."""
    check_names(event.job, {"inputs": event.inputs, "outputs": event.outputs})
    pipeline_id = await _pipeline(ctx, event.job)
    addresses = await _declare(ctx, [*event.inputs, *event.outputs])
    inputs = sorted({dataset.address_name for dataset in event.inputs})
    outputs = sorted({dataset.address_name for dataset in event.outputs})
    await _write_lineage(ctx, pipeline_id, inputs, outputs, addresses)
    return EventOut(
        status="recorded",
        message="job recorded",
        pipeline_id=pipeline_id,
        address_ids=sorted(addresses.values()),
    )
