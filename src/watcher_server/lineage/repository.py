"""Every SQL statement on address_lineage and address_lineage_closure."""

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import (
    BigInteger,
    Integer,
    Row,
    Select,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Subquery

from watcher_server.db.upsert import upsert_keep_min
from watcher_server.lineage.closure import Edge
from watcher_server.models import (
    Address,
    AddressLineage,
    AddressLineageClosure,
    AddressType,
    Pipeline,
    PipelineType,
)

lineage = AddressLineage.__table__
closure = AddressLineageClosure.__table__
addresses = Address.__table__
address_types = AddressType.__table__
pipelines = Pipeline.__table__
pipeline_types = PipelineType.__table__

Direction = Literal["upstream", "downstream"]
_CHUNK = 500  # edges per statement when deleting by (source, target)
_NODE_COLUMNS = (
    addresses.c.name,
    address_types.c.name.label("type"),
    address_types.c.group_name.label("group"),
)


async def get_load_lineage(conn: AsyncConnection, pipeline_id: int) -> bool | None:
    """The pipeline's load_lineage flag; None when there is no such pipeline."""
    statement = select(pipelines.c.load_lineage).where(pipelines.c.id == pipeline_id)
    return (await conn.execute(statement)).scalar_one_or_none()


async def get_pipeline_edges(conn: AsyncConnection, pipeline_id: int) -> set[Edge]:
    statement = select(lineage.c.source_address_id, lineage.c.target_address_id).where(
        lineage.c.pipeline_id == pipeline_id
    )
    return {(row[0], row[1]) for row in await conn.execute(statement)}


async def get_edges_of_other_pipelines(
    conn: AsyncConnection, pipeline_id: int, edges: Collection[Edge]
) -> set[Edge]:
    """Which of `edges` another pipeline also declares."""
    if not edges:
        return set()
    sources = sorted({source for source, _ in edges})
    targets = sorted({target for _, target in edges})
    statement = (
        select(lineage.c.source_address_id, lineage.c.target_address_id)
        .where(
            lineage.c.pipeline_id != pipeline_id,
            lineage.c.source_address_id.in_(sources),
            lineage.c.target_address_id.in_(targets),
        )
        .distinct()
    )
    found = {(row[0], row[1]) for row in await conn.execute(statement)}
    return found & set(edges)


async def delete_pipeline_edges(
    conn: AsyncConnection, pipeline_id: int, edges: Iterable[Edge]
) -> None:
    ordered = sorted(edges)
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        await conn.execute(
            delete(lineage).where(
                lineage.c.pipeline_id == pipeline_id,
                tuple_(lineage.c.source_address_id, lineage.c.target_address_id).in_(chunk),
            )
        )


async def insert_pipeline_edges(
    conn: AsyncConnection, pipeline_id: int, edges: Iterable[Edge], now: datetime
) -> None:
    rows = [
        {
            "pipeline_id": pipeline_id,
            "source_address_id": source,
            "target_address_id": target,
            "created_at": now,
        }
        for source, target in sorted(edges)
    ]
    if rows:
        await conn.execute(insert(lineage), rows)


def _ancestors_or_self(address_id: int) -> Subquery:
    """(id, depth): the address at 0 and every address that reaches it, at its distance."""
    return union_all(
        select(_id(address_id).label("id"), literal(0, Integer()).label("depth")),
        select(closure.c.source_address_id, closure.c.depth).where(
            closure.c.target_address_id == address_id,
            closure.c.source_address_id != address_id,
        ),
    ).subquery()


def _descendants_or_self(address_id: int) -> Subquery:
    """(id, depth): the address at 0 and every address it reaches, at its distance."""
    return union_all(
        select(_id(address_id).label("id"), literal(0, Integer()).label("depth")),
        select(closure.c.target_address_id, closure.c.depth).where(
            closure.c.source_address_id == address_id,
            closure.c.target_address_id != address_id,
        ),
    ).subquery()


def _id(value: int) -> Any:
    return literal(value, BigInteger())


def _paths_through(source: int, target: int) -> Select[Any]:
    """(x, y, depth) for every x ⇝ source → target ⇝ y, one row per pair at its shortest."""
    before, after = _ancestors_or_self(source), _descendants_or_self(target)
    return (
        select(
            before.c.id.label("source_address_id"),
            after.c.id.label("target_address_id"),
            func.min(before.c.depth + after.c.depth + 1).label("depth"),
        )
        .select_from(before.join(after, true()))
        .group_by(before.c.id, after.c.id)
    )


async def add_to_closure(conn: AsyncConnection, source: int, target: int) -> None:
    """Account for a new distinct edge: every path through it, keeping shorter existing rows."""
    await upsert_keep_min(
        conn,
        closure,
        _paths_through(source, target),
        ["source_address_id", "target_address_id"],
        "depth",
    )


async def delete_rows_through(conn: AsyncConnection, source: int, target: int) -> set[Edge]:
    """Delete the closure rows whose shortest distance may run through the edge source → target
    (depth = d(x, source) + 1 + d(target, y)); the deleted pairs are returned."""
    before, after = _ancestors_or_self(source), _descendants_or_self(target)
    candidates = select(before.c.id, after.c.id, before.c.depth + after.c.depth + 1).select_from(
        before.join(after, true())
    )
    statement = (
        delete(closure)
        .where(
            tuple_(closure.c.source_address_id, closure.c.target_address_id, closure.c.depth).in_(
                candidates
            )
        )
        .returning(closure.c.source_address_id, closure.c.target_address_id)
    )
    return {(row[0], row[1]) for row in await conn.execute(statement)}


async def get_exit_bounds(conn: AsyncConnection, source: int, target: int) -> dict[Edge, int]:
    """For x among source and its ancestors, y among target and its descendants: the shortest
    x → z ⇝ y using one current edge x → z and then an existing closure row (or z = y)."""
    before_ids = select(_ancestors_or_self(source).c.id)
    after_ids = select(_descendants_or_self(target).c.id)
    first_hops = (
        select(lineage.c.source_address_id.label("x"), lineage.c.target_address_id.label("z"))
        .where(lineage.c.source_address_id.in_(before_ids))
        .distinct()
        .cte("first_hops")
    )
    direct = select(
        first_hops.c.x, first_hops.c.z.label("y"), literal(1, Integer()).label("depth")
    ).where(first_hops.c.z.in_(after_ids))
    onwards = (
        select(first_hops.c.x, closure.c.target_address_id, closure.c.depth + 1)
        .join_from(first_hops, closure, closure.c.source_address_id == first_hops.c.z)
        .where(closure.c.target_address_id.in_(after_ids))
    )
    paths = union_all(direct, onwards).subquery()
    statement = select(paths.c.x, paths.c.y, func.min(paths.c.depth)).group_by(paths.c.x, paths.c.y)
    return {(row[0], row[1]): row[2] for row in await conn.execute(statement)}


async def get_edges_among_ancestors(conn: AsyncConnection, address_id: int) -> set[Edge]:
    """Distinct current edges between two members of {address} and its ancestors."""
    members = select(_ancestors_or_self(address_id).c.id)
    statement = (
        select(lineage.c.source_address_id, lineage.c.target_address_id)
        .where(
            lineage.c.source_address_id.in_(members),
            lineage.c.target_address_id.in_(members),
        )
        .distinct()
    )
    return {(row[0], row[1]) for row in await conn.execute(statement)}


async def insert_closure_rows(conn: AsyncConnection, rows: dict[Edge, int]) -> None:
    if rows:
        await conn.execute(
            insert(closure),
            [
                {"source_address_id": x, "target_address_id": y, "depth": depth}
                for (x, y), depth in sorted(rows.items())
            ],
        )


async def get_node(conn: AsyncConnection, address_id: int) -> Row[Any] | None:
    """id, name, type and group of one address."""
    statement = (
        select(addresses.c.id, literal(0, Integer()).label("distance"), *_NODE_COLUMNS)
        .join_from(addresses, address_types, address_types.c.id == addresses.c.address_type_id)
        .where(addresses.c.id == address_id)
    )
    return (await conn.execute(statement)).first()


def _reach(address_id: int, direction: Direction, depth: int, limit: int) -> Subquery:
    """(id, distance) of the `limit` nearest addresses within `depth` in `direction`."""
    start, other = _ends(direction)
    return (
        select(other.label("id"), closure.c.depth.label("distance"))
        .where(start == address_id, other != address_id, closure.c.depth <= depth)
        .order_by(closure.c.depth, other)
        .limit(limit)
        .subquery()
    )


def _ends(direction: Direction) -> tuple[Any, Any]:
    if direction == "downstream":
        return closure.c.source_address_id, closure.c.target_address_id
    return closure.c.target_address_id, closure.c.source_address_id


async def get_reachable_nodes(
    conn: AsyncConnection, address_id: int, direction: Direction, depth: int, limit: int
) -> list[Row[Any]]:
    """The nearest `limit` addresses within `depth` of the start, nearest first, then by id."""
    reach = _reach(address_id, direction, depth, limit)
    statement = (
        select(reach.c.id, reach.c.distance, *_NODE_COLUMNS)
        .join_from(reach, addresses, addresses.c.id == reach.c.id)
        .join(address_types, address_types.c.id == addresses.c.address_type_id)
        .order_by(reach.c.distance, reach.c.id)
    )
    return list(await conn.execute(statement))


async def get_graph_edges(
    conn: AsyncConnection, address_id: int, direction: Direction, depth: int, limit: int
) -> list[Row[Any]]:
    """Edges walked from the start: those leaving (downstream) or entering (upstream) an address
    nearer than `depth`, among the same `limit` nearest addresses; one row per pipeline."""
    reach = _reach(address_id, direction, depth, limit)
    members = union_all(
        select(_id(address_id).label("id"), literal(0, Integer()).label("distance")),
        select(reach.c.id, reach.c.distance),
    ).cte("members")
    near, far = aliased(members, name="near"), aliased(members, name="far")
    near_end, far_end = (
        (lineage.c.source_address_id, lineage.c.target_address_id)
        if direction == "downstream"
        else (lineage.c.target_address_id, lineage.c.source_address_id)
    )
    statement = (
        select(
            lineage.c.source_address_id,
            lineage.c.target_address_id,
            pipelines.c.id.label("pipeline_id"),
            pipelines.c.name.label("pipeline_name"),
            pipeline_types.c.name.label("pipeline_type"),
            pipelines.c.active,
        )
        .join_from(near, lineage, near_end == near.c.id)
        .join(far, far_end == far.c.id)
        .join(pipelines, pipelines.c.id == lineage.c.pipeline_id)
        .join(pipeline_types, pipeline_types.c.id == pipelines.c.pipeline_type_id)
        .where(near.c.distance < depth)
    )
    return list(await conn.execute(statement))


async def reaches_beyond(
    conn: AsyncConnection, address_id: int, direction: Direction, depth: int
) -> bool:
    """Whether some address is farther than `depth` from the start in `direction`."""
    start, _ = _ends(direction)
    statement = select(exists().where(start == address_id, closure.c.depth > depth))
    return bool((await conn.execute(statement)).scalar())


async def get_closure_rows_of(
    conn: AsyncConnection, address_id: int, limit: int, offset: int
) -> list[Row[Any]]:
    """Closure rows from or to the address, with both names, deepest first."""
    source, target = aliased(addresses, name="source"), aliased(addresses, name="target")
    statement = (
        select(
            closure.c.source_address_id,
            closure.c.target_address_id,
            closure.c.depth,
            source.c.name.label("source_address_name"),
            target.c.name.label("target_address_name"),
        )
        .join_from(closure, source, source.c.id == closure.c.source_address_id)
        .join(target, target.c.id == closure.c.target_address_id)
        .where(
            or_(
                closure.c.source_address_id == address_id,
                closure.c.target_address_id == address_id,
            )
        )
        .order_by(closure.c.depth.desc(), closure.c.source_address_id, closure.c.target_address_id)
        .limit(limit)
        .offset(offset)
    )
    return list(await conn.execute(statement))


async def address_exists(conn: AsyncConnection, address_id: int) -> bool:
    statement = select(exists().where(addresses.c.id == address_id))
    return bool((await conn.execute(statement)).scalar())
