"""The lineage explorer: the graph around an address or what a pipeline or an address affects,
each address with the health of the pipelines that write it.

The graph comes from the lineage read API's service (same caps, same `truncated`); the health
of every writer of every drawn address is one more statement (health_repository.writers_health).
"""

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, get_args
from urllib.parse import urlencode

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from watcher_server.addresses import repository as addresses_repo
from watcher_server.db import Database
from watcher_server.errors import NotFound
from watcher_server.lineage import read_repository as lineage_reads
from watcher_server.lineage import service as lineage_service
from watcher_server.lineage.graph import Nodes, graph_document
from watcher_server.lineage.schemas import Direction
from watcher_server.pipelines import health_repository as health_repo
from watcher_server.pipelines import repository as pipelines_repo
from watcher_server.pipelines.health import Health, status_of_rank

DIRECTIONS: tuple[Direction, ...] = get_args(Direction)
DEFAULT_DEPTH = 2
MAX_DEPTH_ASKED = 10_000
# Shown when no pipeline writes an address: a source of the graph, not a health.
NOT_WRITTEN = "not written"


class BadQuery(ValueError):
    """A query-string value the page cannot use; the message names the field."""


@dataclass(frozen=True)
class LineageQuery:
    """What the page shows, as its query string gives it: the URL is the state."""

    address_id: int | None = None
    pipeline_id: int | None = None
    direction: Direction = "both"
    depth: int | None = DEFAULT_DEPTH  # None: all
    impact: bool = False

    @classmethod
    def parse(cls, values: dict[str, str | None]) -> "LineageQuery":
        """The query from the page's parameters; BadQuery names the first wrong one."""
        address_id, pipeline_id = _id(values, "address_id"), _id(values, "pipeline_id")
        direction = (values.get("direction") or "both").strip()
        if direction not in DIRECTIONS:
            raise BadQuery("direction must be upstream, downstream or both")
        return cls(
            address_id=address_id,
            pipeline_id=None if address_id else pipeline_id,
            direction=direction,  # type: ignore[arg-type]
            depth=_depth(values.get("depth")),
            impact=values.get("view") == "impact" or (pipeline_id is not None and not address_id),
        )

    def link(self, **changes: Any) -> str:
        """The page's URL with some of the query changed."""
        query = replace(self, **changes)
        parts: list[tuple[str, Any]] = []
        if query.address_id is not None:
            parts.append(("address_id", query.address_id))
        elif query.pipeline_id is not None:
            parts.append(("pipeline_id", query.pipeline_id))
        if query.impact:
            parts.append(("view", "impact"))
        else:
            parts.append(("direction", query.direction))
            parts.append(("depth", "all" if query.depth is None else query.depth))
        return f"/ui/lineage?{urlencode(parts)}"

    def centred_on(self, address_id: int) -> str:
        """The same view, re-centred on an address."""
        return self.link(address_id=address_id, pipeline_id=None)


def _id(values: dict[str, str | None], name: str) -> int | None:
    text = (values.get(name) or "").strip()
    if not text:
        return None
    if not text.isdigit() or not 0 < int(text) < 2**63:
        raise BadQuery(f"{name} must be a positive whole number")
    return int(text)


def _depth(text: str | None) -> int | None:
    text = (text or "").strip()
    if not text:
        return DEFAULT_DEPTH
    if text == "all":
        return None
    if not text.isdigit() or not 0 < int(text) <= MAX_DEPTH_ASKED:
        raise BadQuery(f"depth must be a whole number from 1 to {MAX_DEPTH_ASKED}, or all")
    return int(text)


@dataclass(frozen=True)
class Writer:
    """A pipeline writing an address, with its health."""

    id: int
    name: str
    status: Health


@dataclass
class DrawnAddress:
    id: int
    name: str
    type: str
    distance: int
    writers: list[Writer] = field(default_factory=list)

    @property
    def status(self) -> str:
        """The worst status of the pipelines writing it."""
        return self.writers[0].status.value if self.writers else NOT_WRITTEN


@dataclass
class LineagePage:
    query: LineageQuery
    title: str
    start_name: str  # the address or the pipeline the page starts from
    addresses: list[DrawnAddress]
    edges: list[dict[str, Any]]
    truncated: bool
    max_nodes: int
    depth_served: int | None = None

    @property
    def frontier(self) -> list[DrawnAddress]:
        """The farthest addresses drawn: where a cut graph goes on."""
        farthest = max((address.distance for address in self.addresses), default=0)
        return [address for address in self.addresses if address.distance == farthest]

    @property
    def writers(self) -> list[Writer]:
        """Every pipeline writing a drawn address (past the start), worst first."""
        found = {w.id: w for a in self.addresses if a.distance > 0 for w in a.writers}
        return sorted(found.values(), key=lambda w: (w.status.rank, w.name))

    def drawing(self) -> dict[str, Any]:
        """What lineage.js draws."""
        return {
            "impact": self.query.impact,
            "nodes": [
                {
                    "id": a.id,
                    "name": a.name,
                    "type": a.type,
                    "distance": a.distance,
                    "status": a.status,
                    "link": self.query.centred_on(a.id),
                }
                for a in self.addresses
            ],
            "edges": self.edges,
        }


async def explore(
    db: Database, now: datetime, query: LineageQuery, max_depth: int, max_nodes: int
) -> LineagePage:
    """The graph around `query.address_id`; NotFound when there is no such address."""
    assert query.address_id is not None
    async with db.transaction() as conn:
        document = await lineage_service.read_graph(
            conn, query.address_id, query.direction, query.depth, max_depth, max_nodes
        )
        addresses = await _with_health(conn, now, document["nodes"])
    start = next(address for address in addresses if address.distance == 0)
    return LineagePage(
        query=query,
        title=f"Lineage of {start.name}",
        start_name=start.name,
        addresses=addresses,
        edges=document["edges"],
        truncated=document["truncated"],
        max_nodes=max_nodes,
        depth_served=document["depth"],
    )


async def impact(db: Database, now: datetime, query: LineageQuery, max_nodes: int) -> LineagePage:
    """Everything downstream of the query's address or pipeline, nearest first, with the
    health of what writes it; NotFound when there is no such address or pipeline."""
    async with db.transaction() as conn:
        start_name = await _start_name(conn, query)
        rows = await lineage_reads.get_impact(
            conn, address_id=query.address_id, pipeline_id=query.pipeline_id, limit=max_nodes + 1
        )
        kept = [("downstream", *row) for row in rows[:max_nodes]]
        ids = [row[1] for row in kept]
        edge_rows = await lineage_reads.get_edges_around(conn, ids, [], ids)
        nodes = Nodes(kept=kept, truncated=len(rows) > max_nodes, walk_from={})
        document = graph_document(query.address_id or 0, "downstream", 0, nodes, edge_rows)
        addresses = await _with_health(conn, now, document["nodes"])
    return LineagePage(
        query=query,
        title=f"What {start_name} affects",
        start_name=start_name,
        addresses=addresses,
        edges=document["edges"],
        truncated=nodes.truncated,
        max_nodes=max_nodes,
    )


async def _start_name(conn: AsyncConnection, query: LineageQuery) -> str:
    if query.pipeline_id is not None:
        pipeline = await pipelines_repo.get_pipeline(conn, query.pipeline_id)
        if pipeline is None:
            raise NotFound(f"pipeline {query.pipeline_id} not found")
        return pipeline.name
    address = await addresses_repo.get_address(conn, query.address_id or 0)
    if address is None:
        raise NotFound(f"address {query.address_id} not found")
    return address.name


async def _with_health(
    conn: AsyncConnection, now: datetime, nodes: list[dict[str, Any]]
) -> list[DrawnAddress]:
    """The graph's addresses, each with the pipelines writing it, worst first."""
    writers: dict[int, list[Writer]] = defaultdict(list)
    for row in await health_repo.writers_health(conn, now, [node["id"] for node in nodes]):
        writers[row.address_id].append(Writer(row.id, row.name, status_of_rank(row.rank)))
    for found in writers.values():
        found.sort(key=lambda writer: (writer.status.rank, writer.name))
    return [
        DrawnAddress(node["id"], node["name"], node["type"], node["distance"], writers[node["id"]])
        for node in nodes
    ]


async def search(db: Database, part: str, limit: int) -> list[Row[Any]]:
    """Addresses whose name contains `part`, best matches first."""
    async with db.transaction() as conn:
        return await addresses_repo.search_by_name(conn, part, limit)
