"""Every SQL statement of lineage reads: the graph around an address, the closure rows.

Built once per shape, with bound parameters (see repository.py).
"""

from collections.abc import Collection
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Executable,
    Integer,
    Row,
    Select,
    bindparam,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from watcher_server.db.rows import RowsParameter
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


def _param(name: str) -> Any:
    return bindparam(name, type_=BigInteger())


def _ids(ids: Collection[int]) -> list[tuple[int]]:
    return [(address_id,) for address_id in sorted(ids)]


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
        literal(START).label("way"),
        _param("address_id").label("id"),
        literal(0, Integer()).label("distance"),
    )
    reaches = [_reach(way).subquery() for way in ways]
    found = union_all(start, *(select(*reach.c) for reach in reaches)).subquery()
    return _named(found)


def _named(found: Any) -> Select[Any]:
    """The rows of `found` (which has an address `id`) with the address's name, type, group."""
    return (
        select(
            *found.c,
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


# --- a pipeline's neighbours ---------------------------------------------------------------


async def get_pipeline_addresses(conn: AsyncConnection, pipeline_id: int) -> list[Row[Any]]:
    """The addresses a pipeline reads (`role` "source") and writes ("target"), by name, with
    their type and group: one row per address and role."""
    selects = [
        select(
            literal(role).label("role"),
            addresses.c.id,
            addresses.c.name,
            address_types.c.name.label("type_name"),
            address_types.c.group_name,
        )
        .join_from(lineage, addresses, addresses.c.id == end)
        .join(address_types, address_types.c.id == addresses.c.address_type_id)
        .where(lineage.c.pipeline_id == pipeline_id)
        .distinct()
        for role, end in (
            ("source", lineage.c.source_address_id),
            ("target", lineage.c.target_address_id),
        )
    ]
    both = union_all(*selects).subquery()
    return list(await conn.execute(select(both).order_by(both.c.role, both.c.name)))


# --- impact: everything downstream ---------------------------------------------------------


@cache
def _impact_statement(of_pipeline: bool) -> Executable:
    """(id, distance, name, type, group) of the start (distance 0) and every address
    downstream of it, each at its shortest distance, nearest first, at most `limit` rows.

    From an address the start is the address; from a pipeline, the addresses it reads, and
    what it writes is at distance 1."""
    if of_pipeline:
        pipeline_id = _param("pipeline_id")
        mine = lineage.c.pipeline_id == pipeline_id
        found = union_all(
            select(lineage.c.source_address_id.label("id"), literal(0, Integer()).label("d")).where(
                mine
            ),
            select(lineage.c.target_address_id, literal(1, Integer())).where(mine),
            select(closure.c.target_address_id, closure.c.depth + 1)
            .join_from(closure, lineage, lineage.c.target_address_id == closure.c.source_address_id)
            .where(mine),
        ).subquery()
    else:
        address_id = _param("address_id")
        found = union_all(
            select(address_id.label("id"), literal(0, Integer()).label("d")),
            select(closure.c.target_address_id, closure.c.depth).where(
                closure.c.source_address_id == address_id
            ),
        ).subquery()
    nearest = (
        select(found.c.id, func.min(found.c.d).label("distance")).group_by(found.c.id).subquery()
    )
    return _named(nearest).order_by(nearest.c.distance, nearest.c.id).limit(bindparam("limit"))


async def get_impact(
    conn: AsyncConnection,
    *,
    address_id: int | None = None,
    pipeline_id: int | None = None,
    limit: int,
) -> list[Row[Any]]:
    """The start and what is downstream of an address, or of a pipeline (see
    _impact_statement); empty when the address does not exist or the pipeline has no lineage."""
    if pipeline_id is not None:
        params = {"pipeline_id": pipeline_id, "limit": limit}
    else:
        params = {"address_id": address_id, "limit": limit}
    return list(await conn.execute(_impact_statement(pipeline_id is not None), params))
