"""Every SQL statement on address_lineage and address_lineage_closure.

The statements of the lineage write and of the graph read are built once, with bound
parameters, and reused: building and caching a statement this size costs more CPU than
PostgreSQL spends running it.
"""

from collections.abc import Collection, Iterable
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Executable,
    Integer,
    Row,
    Select,
    bindparam,
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

from watcher_server.db.rows import RowsParameter, materialized
from watcher_server.db.upsert import keep_min_upsert
from watcher_server.lineage.closure import Edge
from watcher_server.lineage.graph import START, Way
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

_CHUNK = 500  # edges per statement when deleting by (source, target)


def _param(name: str) -> Any:
    return bindparam(name, type_=BigInteger())


def _zero() -> Any:
    return literal(0, Integer())


# --- a pipeline's edges ---------------------------------------------------------------------


_PIPELINE_LINEAGE = (
    select(pipelines.c.load_lineage, lineage.c.source_address_id, lineage.c.target_address_id)
    .join_from(pipelines, lineage, lineage.c.pipeline_id == pipelines.c.id, isouter=True)
    .where(pipelines.c.id == _param("pipeline_id"))
)


async def get_pipeline_lineage(
    conn: AsyncConnection, pipeline_id: int
) -> tuple[bool | None, set[Edge]]:
    """The pipeline's load_lineage flag (None when there is no such pipeline) and its edges."""
    rows = (await conn.execute(_PIPELINE_LINEAGE, {"pipeline_id": pipeline_id})).all()
    if not rows:
        return None, set()
    edges = {(source, target) for _, source, target in rows if source is not None}
    return rows[0][0], edges


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


# --- closure upkeep: parameters `source` and `target` name the edge -------------------------


def _before_source() -> Subquery:
    """(id, depth): the edge's source at 0 and every address reaching it, at its distance."""
    source = _param("source")
    return union_all(
        select(source.label("id"), _zero().label("depth")),
        select(closure.c.source_address_id, closure.c.depth).where(
            closure.c.target_address_id == source, closure.c.source_address_id != source
        ),
    ).subquery()


def _after_target() -> Subquery:
    """(id, depth): the edge's target at 0 and every address it reaches, at its distance."""
    target = _param("target")
    return union_all(
        select(target.label("id"), _zero().label("depth")),
        select(closure.c.target_address_id, closure.c.depth).where(
            closure.c.source_address_id == target, closure.c.target_address_id != target
        ),
    ).subquery()


def _paths_through() -> Select[Any]:
    """(x, y, depth) for every x ⇝ source → target ⇝ y, one row per pair at its shortest."""
    before, after = _before_source(), _after_target()
    return (
        select(
            before.c.id.label("source_address_id"),
            after.c.id.label("target_address_id"),
            func.min(before.c.depth + after.c.depth + 1).label("depth"),
        )
        .select_from(before.join(after, true()))
        .group_by(before.c.id, after.c.id)
    )


@cache
def _add_statement(dialect: str) -> Executable:
    return keep_min_upsert(
        dialect, closure, _paths_through(), ["source_address_id", "target_address_id"], "depth"
    )


_SIDE_ANCESTOR, _SIDE_DESCENDANT = 0, 1
_KEYS = RowsParameter("keys", {"x": "bigint", "y": "bigint", "d": "int"})
_SOURCES = RowsParameter("sources", {"id": "bigint"})
_TARGETS = RowsParameter("targets", {"id": "bigint"})


def _ends_statement() -> Executable:
    source, target = _param("source"), _param("target")
    return union_all(
        select(literal(_SIDE_ANCESTOR), closure.c.source_address_id, closure.c.depth).where(
            closure.c.target_address_id == source, closure.c.source_address_id != source
        ),
        select(literal(_SIDE_DESCENDANT), closure.c.target_address_id, closure.c.depth).where(
            closure.c.source_address_id == target, closure.c.target_address_id != target
        ),
    )


@cache
def _delete_keys_statement(dialect: str) -> Executable:
    keys = _KEYS.select(dialect).subquery()
    key = tuple_(closure.c.source_address_id, closure.c.target_address_id, closure.c.depth)
    return (
        delete(closure)
        .where(key.in_(select(keys.c.x, keys.c.y, keys.c.d)))
        .returning(closure.c.source_address_id, closure.c.target_address_id)
    )


def _leaving(dialect: str) -> Select[Any]:
    sources = _SOURCES.select(dialect).subquery()
    return (
        select(lineage.c.source_address_id.label("x"), lineage.c.target_address_id.label("z"))
        .where(lineage.c.source_address_id.in_(select(sources.c.id)))
        .distinct()
    )


@cache
def _leaving_statement(dialect: str) -> Executable:
    return _leaving(dialect)


@cache
def _onward_statement(dialect: str) -> Executable:
    # Driven from the targets (their ancestors, through the target index) rather than from the
    # sources: a source may feed thousands of addresses, each reaching hundreds.
    targets, sources = _TARGETS.select(dialect).subquery(), _SOURCES.select(dialect).subquery()
    reach = materialized(
        select(
            closure.c.source_address_id.label("z"),
            closure.c.target_address_id.label("y"),
            closure.c.depth,
        )
        .where(closure.c.target_address_id.in_(select(targets.c.id)))
        .cte("reach")
    )
    return (
        select(lineage.c.source_address_id, reach.c.y, func.min(reach.c.depth) + 1)
        .join_from(reach, lineage, lineage.c.target_address_id == reach.c.z)
        .where(lineage.c.source_address_id.in_(select(sources.c.id)))
        .group_by(lineage.c.source_address_id, reach.c.y)
    )


_ENDS = _ends_statement()


async def add_to_closure(conn: AsyncConnection, source: int, target: int) -> None:
    """Account for a new distinct edge: every path through it, keeping shorter existing rows."""
    statement = _add_statement(conn.dialect.name)
    await conn.execute(statement, {"source": source, "target": target})


async def get_ends(
    conn: AsyncConnection, source: int, target: int
) -> tuple[dict[int, int], dict[int, int]]:
    """For an edge source → target: the addresses reaching source and those target reaches,
    each with its distance (source and target themselves at 0)."""
    before, after = {source: 0}, {target: 0}
    for side, address_id, depth in await conn.execute(_ENDS, {"source": source, "target": target}):
        (before if side == _SIDE_ANCESTOR else after)[address_id] = depth
    return before, after


async def delete_closure_rows(
    conn: AsyncConnection, rows: Iterable[tuple[int, int, int]]
) -> set[Edge]:
    """Delete the rows among (source, target, depth) `rows` that exist; their pairs."""
    dialect = conn.dialect.name
    result = await conn.execute(_delete_keys_statement(dialect), _KEYS.bind(dialect, rows))
    return {(row[0], row[1]) for row in result}


async def get_edges_leaving(conn: AsyncConnection, sources: Collection[int]) -> set[Edge]:
    """Distinct current edges whose source is among `sources`."""
    dialect = conn.dialect.name
    result = await conn.execute(_leaving_statement(dialect), _SOURCES.bind(dialect, _ids(sources)))
    return {(row[0], row[1]) for row in result}


async def get_onward_depths(
    conn: AsyncConnection, sources: Collection[int], targets: Collection[int]
) -> dict[Edge, int]:
    """For x in `sources`, y in `targets`: the shortest 1 + depth(z, y) over current edges
    x → z and closure rows (z, y)."""
    dialect = conn.dialect.name
    params = {**_SOURCES.bind(dialect, _ids(sources)), **_TARGETS.bind(dialect, _ids(targets))}
    result = await conn.execute(_onward_statement(dialect), params)
    return {(row[0], row[1]): row[2] for row in result}


def _ids(ids: Collection[int]) -> list[tuple[int]]:
    return [(address_id,) for address_id in sorted(ids)]


async def insert_closure_rows(conn: AsyncConnection, rows: dict[Edge, int]) -> None:
    if rows:
        await conn.execute(
            insert(closure),
            [
                {"source_address_id": x, "target_address_id": y, "depth": depth}
                for (x, y), depth in sorted(rows.items())
            ],
        )


# --- graph reads -----------------------------------------------------------------------------


def _reach(way: Way) -> Select[Any]:
    """(way, id, distance) of the `limit` nearest addresses within `depth` of `address_id`."""
    if way == "downstream":
        start, other = closure.c.source_address_id, closure.c.target_address_id
    else:
        start, other = closure.c.target_address_id, closure.c.source_address_id
    address_id = _param("address_id")
    return (
        select(literal(way).label("way"), other.label("id"), closure.c.depth.label("distance"))
        .where(start == address_id, other != address_id, closure.c.depth <= bindparam("depth"))
        .order_by(closure.c.depth, other)
        .limit(bindparam("limit"))
    )


@cache
def _nodes_statement(ways: tuple[Way, ...]) -> Executable:
    start = select(
        literal(START).label("way"), _param("address_id").label("id"), _zero().label("distance")
    )
    reaches = [_reach(way).subquery() for way in ways]
    found = union_all(start, *(select(*reach.c) for reach in reaches)).subquery()
    return (
        select(
            found.c.way,
            found.c.id,
            found.c.distance,
            addresses.c.name,
            address_types.c.name.label("type"),
            address_types.c.group_name.label("group"),
        )
        .join_from(found, addresses, addresses.c.id == found.c.id)
        .join(address_types, address_types.c.id == addresses.c.address_type_id)
    )


_WALK_DOWN = RowsParameter("down", {"id": "bigint"})
_WALK_UP = RowsParameter("up", {"id": "bigint"})
_KEPT = RowsParameter("kept", {"id": "bigint"})


@cache
def _edges_statement(dialect: str) -> Executable:
    """Edges leaving the `down` addresses and entering the `up` ones, whose other end is one
    of the `kept` addresses; one row per pipeline."""
    kept = _KEPT.select(dialect).cte("kept")
    selects = []
    for near, far, walked in (
        (lineage.c.source_address_id, lineage.c.target_address_id, _WALK_DOWN),
        (lineage.c.target_address_id, lineage.c.source_address_id, _WALK_UP),
    ):
        start = walked.select(dialect).subquery()
        selects.append(
            select(
                lineage.c.source_address_id,
                lineage.c.target_address_id,
                pipelines.c.id.label("pipeline_id"),
                pipelines.c.name.label("pipeline_name"),
                pipeline_types.c.name.label("pipeline_type"),
                pipelines.c.active,
            )
            .join_from(lineage, pipelines, pipelines.c.id == lineage.c.pipeline_id)
            .join(pipeline_types, pipeline_types.c.id == pipelines.c.pipeline_type_id)
            .where(near.in_(select(start.c.id)), far.in_(select(kept.c.id)))
        )
    return union_all(*selects)


async def get_nodes(
    conn: AsyncConnection, address_id: int, ways: tuple[Way, ...], depth: int, limit: int
) -> list[Row[Any]]:
    """The start (way "start", distance 0) and, per way, the `limit` nearest addresses within
    `depth`, with name, type and group. Empty when the address does not exist."""
    params = {"address_id": address_id, "depth": depth, "limit": limit}
    return (await conn.execute(_nodes_statement(ways), params)).all()


async def get_edges_around(
    conn: AsyncConnection,
    downstream_of: Collection[int],
    upstream_of: Collection[int],
    kept: Collection[int],
) -> list[Row[Any]]:
    """Edges leaving `downstream_of` and edges entering `upstream_of`, between `kept`
    addresses; one row per pipeline carrying them, with its name, type and active flag."""
    dialect = conn.dialect.name
    params = {
        **_WALK_DOWN.bind(dialect, _ids(downstream_of)),
        **_WALK_UP.bind(dialect, _ids(upstream_of)),
        **_KEPT.bind(dialect, _ids(kept)),
    }
    return (await conn.execute(_edges_statement(dialect), params)).all()


# --- the original's closure read -------------------------------------------------------------


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
