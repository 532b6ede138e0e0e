"""Rules for lineage: replacing a pipeline's edges, keeping the closure exact, reading graphs."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from watcher_server.addresses.service import get_or_create_addresses
from watcher_server.db import Database
from watcher_server.db.locks import lock_for_transaction
from watcher_server.errors import NotFound
from watcher_server.lineage import read_repository as reads
from watcher_server.lineage import repository as repo
from watcher_server.lineage.closure import (
    Edge,
    plan_edge_changes,
    rederive_distances,
    removal_keys,
)
from watcher_server.lineage.graph import graph_document, keep_nodes, ways_to_walk
from watcher_server.lineage.schemas import Direction, LineageCreate, LineageWritten


async def replace_lineage(
    db: Database, data: LineageCreate, now: datetime
) -> tuple[LineageWritten, bool]:
    """Make the pipeline's edges exactly sources x targets, with the closure, in one transaction.

    A pipeline whose load_lineage is false is left alone (the original's behaviour): the answer
    says so with a count of 0, and False tells the caller nothing was written.
    """
    async with db.transaction() as conn:
        await lock_for_transaction(conn, "lineage")  # one lineage writer at a time
        load_lineage, old_edges = await repo.get_pipeline_lineage(conn, data.pipeline_id)
        if load_lineage is None:
            raise NotFound(f"pipeline {data.pipeline_id} not found")
        if not load_lineage:
            skipped = LineageWritten(
                pipeline_id=data.pipeline_id,
                lineage_relationships_created=0,
                message=f"pipeline {data.pipeline_id} does not have load_lineage=true. "
                "no lineage relationships created.",
            )
            return skipped, False
        refs = await get_or_create_addresses(
            conn, [*data.source_addresses, *data.target_addresses], now
        )
        sources = {refs[address.name].id for address in data.source_addresses}
        targets = {refs[address.name].id for address in data.target_addresses}
        edges = {(source, target) for source in sources for target in targets}
        await _replace_edges(conn, data.pipeline_id, old_edges, edges, now)
    written = LineageWritten(
        pipeline_id=data.pipeline_id,
        lineage_relationships_created=len(edges),
        message=f"lineage relationships created for pipeline {data.pipeline_id}",
    )
    return written, True


async def replace_lineage_between(
    db: Database,
    pipeline_id: int,
    sources: set[int],
    targets: set[int],
    now: datetime,
    known_edges: set[Edge] | None = None,
) -> int:
    """Make the pipeline's edges exactly sources x targets (addresses by id), with the closure.

    For lineage a run reports each time it runs (OpenLineage): it is written whatever
    load_lineage says. `known_edges` are the pipeline's edges when the caller read them with
    the pipeline (see repository.pipeline_edges_text). Answers the number of edges.
    """
    edges = {(source, target) for source in sources for target in targets}
    # A run repeats its pipeline's lineage nearly always: one read, without the writers' lock,
    # or none when the caller read the edges already.
    old_edges = known_edges
    if old_edges is None:
        async with db.autocommit() as conn:
            load_lineage, old_edges = await repo.get_pipeline_lineage(conn, pipeline_id)
        if load_lineage is None:
            raise NotFound(f"pipeline {pipeline_id} not found")
    if old_edges == edges:
        return len(edges)
    async with db.transaction() as conn:
        await lock_for_transaction(conn, "lineage")
        _, old_edges = await repo.get_pipeline_lineage(conn, pipeline_id)
        await _replace_edges(conn, pipeline_id, old_edges, edges, now)
    return len(edges)


async def _replace_edges(
    conn: AsyncConnection, pipeline_id: int, old: set[Edge], edges: set[Edge], now: datetime
) -> None:
    """Only edges that enter or leave the set of distinct edges touch the closure, so sending
    the same lineage again writes nothing."""
    if old == edges:
        return
    others = await repo.get_edges_of_other_pipelines(conn, pipeline_id, old ^ edges)
    changes = plan_edge_changes(old, edges, others)
    # Shrink before growing: removals then work on the smaller closure.
    await repo.delete_pipeline_edges(conn, pipeline_id, changes.removed)
    if changes.vanished:
        await _remove_from_closure(conn, changes.vanished)
    await repo.insert_pipeline_edges(conn, pipeline_id, changes.added, now)
    if changes.appeared:
        await _add_to_closure(conn, changes.appeared)


async def _add_to_closure(conn: AsyncConnection, edges: Sequence[Edge]) -> None:
    """One statement, unless a new path could run through two new edges (a new edge's target
    reaching a new edge's source): then edge by edge, each seeing the ones before."""
    sources, targets = {source for source, _ in edges}, {target for _, target in edges}
    if len(edges) > 1 and (sources & targets or await repo.any_reaches(conn, targets, sources)):
        for edge in edges:
            await repo.add_to_closure(conn, [edge])
    else:
        await repo.add_to_closure(conn, edges)


async def _remove_from_closure(conn: AsyncConnection, edges: Sequence[Edge]) -> None:
    """Delete the rows whose shortest path may have used a removed edge, then re-derive exactly
    those from the remaining rows and edges."""
    sources, targets = {source for source, _ in edges}, {target for _, target in edges}
    before, after = await repo.get_ends(conn, sources, targets)
    suspects = await repo.delete_closure_rows(conn, removal_keys(edges, before, after))
    suspect_sources, suspect_targets = {x for x, _ in suspects}, {y for _, y in suspects}
    leaving = await repo.get_edges_leaving(conn, suspect_sources)
    onward = await repo.get_onward_depths(conn, suspect_sources, suspect_targets)
    await repo.insert_closure_rows(conn, rederive_distances(suspects, leaving, onward))


async def get_closure_rows(
    db: Database, address_id: int, limit: int, offset: int
) -> list[Row[Any]]:
    """Every (ancestor, descendant) pair the address is part of, deepest first."""
    async with db.transaction() as conn:
        if not await reads.address_exists(conn, address_id):
            raise NotFound(f"address {address_id} not found")
        return await reads.get_closure_rows_of(conn, address_id, limit, offset)


async def get_graph(
    db: Database,
    address_id: int,
    direction: Direction,
    depth: int | None,
    max_depth: int,
    max_nodes: int,
) -> dict[str, Any]:
    """The addresses within `depth` (None: any) of the start, and the edges walked to reach
    them, capped at `max_depth` and `max_nodes`: the JSON document of GET /lineage."""
    async with db.transaction() as conn:
        return await read_graph(conn, address_id, direction, depth, max_depth, max_nodes)


async def read_graph(
    conn: AsyncConnection,
    address_id: int,
    direction: Direction,
    depth: int | None,
    max_depth: int,
    max_nodes: int,
) -> dict[str, Any]:
    """get_graph within the caller's transaction."""
    served = max_depth if depth is None else min(depth, max_depth)
    # When the depth cap applies, addresses one step beyond it are fetched too, only to tell
    # whether the cap cut something; likewise one more address per way than can be kept.
    reach = served + 1 if depth is None or depth > max_depth else served
    rows = await reads.get_nodes(conn, address_id, ways_to_walk(direction), reach, max_nodes)
    if not rows:
        raise NotFound(f"address {address_id} not found")
    nodes = keep_nodes(rows, max_nodes, served)
    edges = await reads.get_edges_around(
        conn,
        nodes.walk_from["downstream"],
        nodes.walk_from["upstream"],
        [row[1] for row in nodes.kept],
    )
    return graph_document(address_id, direction, served, nodes, edges)
