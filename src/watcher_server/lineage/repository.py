"""Every SQL statement of lineage writes: a pipeline's edges and the closure's upkeep.

The larger statements are built once, with bound parameters, and reused: building and caching
a statement this size costs more CPU than PostgreSQL spends running it. Graph reads are in
read_repository.py.
"""

from collections.abc import Collection, Iterable
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Executable,
    Integer,
    String,
    bindparam,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Subquery

from watcher_server.db.rows import RowsParameter, materialized
from watcher_server.db.upsert import keep_min_upsert
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


def pipeline_edges_text(pipeline_id: Any) -> Any:
    """A scalar subquery: the edges of the pipeline whose id is `pipeline_id` (a column) as one
    text, for a caller that reads the pipeline anyway; `parse_edges` reads it back. Null when
    the pipeline has none."""
    edge = (
        cast(lineage.c.source_address_id, String)
        + literal(":", String())
        + cast(lineage.c.target_address_id, String)
    )
    statement = select(func.aggregate_strings(edge, ","))
    return statement.where(lineage.c.pipeline_id == pipeline_id).scalar_subquery()


def parse_edges(text: str | None) -> set[Edge]:
    """The edges `pipeline_edges_text` wrote."""
    if not text:
        return set()
    pairs = (item.split(":") for item in text.split(","))
    return {(int(source), int(target)) for source, target in pairs}


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


# --- closure upkeep ------------------------------------------------------------------------

_EDGES = RowsParameter("edges", {"u": "bigint", "v": "bigint"})
_KEYS = RowsParameter("keys", {"x": "bigint", "y": "bigint", "d": "int"})
_SOURCES = RowsParameter("sources", {"id": "bigint"})
_TARGETS = RowsParameter("targets", {"id": "bigint"})
_SIDE_ANCESTOR, _SIDE_DESCENDANT = 0, 1


def _around(dialect: str, end: str) -> Subquery:
    """(anchor, id, depth): each source (end "u") of the new edges with itself at 0 and every
    address reaching it; or each target (end "v") with every address it reaches."""
    edges = _EDGES.select(dialect).subquery()
    anchors = select(edges.c[end].label("anchor")).distinct().subquery()
    if end == "u":
        anchor, other = closure.c.target_address_id, closure.c.source_address_id
    else:
        anchor, other = closure.c.source_address_id, closure.c.target_address_id
    return union_all(
        select(anchors.c.anchor, anchors.c.anchor.label("id"), _zero().label("depth")),
        select(anchor, other, closure.c.depth).where(
            anchor.in_(select(anchors.c.anchor)), other != anchor
        ),
    ).subquery()


@cache
def _add_statement(dialect: str) -> Executable:
    """For every new edge u → v and x ⇝ u, v ⇝ y: the row (x, y) at the smallest
    d(x, u) + 1 + d(v, y), keeping stored rows that are shorter."""
    edges = _EDGES.select(dialect).subquery()
    before, after = _around(dialect, "u"), _around(dialect, "v")
    rows = (
        select(
            before.c.id.label("source_address_id"),
            after.c.id.label("target_address_id"),
            func.min(before.c.depth + after.c.depth + 1).label("depth"),
        )
        .select_from(
            edges.join(before, before.c.anchor == edges.c.u).join(
                after, after.c.anchor == edges.c.v
            )
        )
        .group_by(before.c.id, after.c.id)
    )
    return keep_min_upsert(
        dialect, closure, rows, ["source_address_id", "target_address_id"], "depth"
    )


@cache
def _ends_statement(dialect: str) -> Executable:
    sources, targets = _SOURCES.select(dialect).subquery(), _TARGETS.select(dialect).subquery()
    differ = closure.c.source_address_id != closure.c.target_address_id
    return union_all(
        select(
            literal(_SIDE_ANCESTOR),
            closure.c.target_address_id,
            closure.c.source_address_id,
            closure.c.depth,
        ).where(closure.c.target_address_id.in_(select(sources.c.id)), differ),
        select(
            literal(_SIDE_DESCENDANT),
            closure.c.source_address_id,
            closure.c.target_address_id,
            closure.c.depth,
        ).where(closure.c.source_address_id.in_(select(targets.c.id)), differ),
    )


@cache
def _reaches_statement(dialect: str) -> Executable:
    sources, targets = _SOURCES.select(dialect).subquery(), _TARGETS.select(dialect).subquery()
    return select(
        exists().where(
            closure.c.source_address_id.in_(select(sources.c.id)),
            closure.c.target_address_id.in_(select(targets.c.id)),
        )
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


@cache
def _leaving_statement(dialect: str) -> Executable:
    sources = _SOURCES.select(dialect).subquery()
    return (
        select(lineage.c.source_address_id, lineage.c.target_address_id)
        .where(lineage.c.source_address_id.in_(select(sources.c.id)))
        .distinct()
    )


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


async def add_to_closure(conn: AsyncConnection, edges: Collection[Edge]) -> None:
    """Account for new distinct edges, each path using one of them (see _add_statement)."""
    dialect = conn.dialect.name
    await conn.execute(_add_statement(dialect), _EDGES.bind(dialect, sorted(edges)))


async def any_reaches(
    conn: AsyncConnection, sources: Collection[int], targets: Collection[int]
) -> bool:
    """Whether some address of `sources` reaches some address of `targets`."""
    dialect = conn.dialect.name
    params = {**_SOURCES.bind(dialect, _ids(sources)), **_TARGETS.bind(dialect, _ids(targets))}
    return bool((await conn.execute(_reaches_statement(dialect), params)).scalar())


async def get_ends(
    conn: AsyncConnection, sources: Collection[int], targets: Collection[int]
) -> tuple[dict[int, dict[int, int]], dict[int, dict[int, int]]]:
    """For each of `sources`, the addresses reaching it; for each of `targets`, the addresses
    it reaches; with their distances (the address itself at 0)."""
    dialect = conn.dialect.name
    before = {source: {source: 0} for source in sources}
    after = {target: {target: 0} for target in targets}
    params = {**_SOURCES.bind(dialect, _ids(sources)), **_TARGETS.bind(dialect, _ids(targets))}
    for side, anchor, other, depth in await conn.execute(_ends_statement(dialect), params):
        (before if side == _SIDE_ANCESTOR else after)[anchor][other] = depth
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
