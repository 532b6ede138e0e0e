"""Assemble a lineage graph answer from the rows the walks returned; no database here.

A hub's graph holds tens of thousands of nodes and edges, so the loops below work on plain
tuples and share one dict per pipeline: the answer's cost is mostly this Python.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Literal

from watcher_server.lineage.schemas import Direction

Way = Literal["upstream", "downstream"]
START = "start"
# Node rows: (way, id, distance, name, type, group); way is START, "upstream" or "downstream".
NodeRow = tuple[str, int, int, str, str, str]
# Edge rows: (source, target, pipeline id, pipeline name, pipeline type, active), one per
# pipeline carrying the edge, possibly repeated.
EdgeRow = tuple[int, int, int, str, str, bool]


def ways_to_walk(direction: Direction) -> tuple[Way, ...]:
    """The ways walked for a requested direction."""
    return ("upstream", "downstream") if direction == "both" else (direction,)


@dataclass(frozen=True)
class Nodes:
    """The addresses kept for the answer, and where to walk edges from."""

    kept: list[NodeRow]  # each address once, at its smallest distance, nearest first
    truncated: bool
    walk_from: dict[str, list[int]]  # per way: kept addresses nearer than the depth served


def keep_nodes(rows: Iterable[NodeRow], max_nodes: int, max_distance: int) -> Nodes:
    """Each address once at its smallest distance (the start at 0), none farther than
    `max_distance`, at most `max_nodes` (nearest first, then by id).

    Rows farther than `max_distance` (fetched only to learn that the depth cap cut something)
    mark the graph truncated, as do more than `max_nodes` addresses.
    """
    rows = list(rows)
    nearest: dict[int, NodeRow] = {}
    for row in rows:
        known = nearest.get(row[1])
        if known is None or row[2] < known[2]:
            nearest[row[1]] = row
    order = sorted(nearest.values(), key=itemgetter(2, 1))
    kept = [row for row in order if row[2] <= max_distance][:max_nodes]
    kept_ids = {row[1] for row in kept}
    walk_from: dict[str, list[int]] = {"upstream": [], "downstream": []}
    for way, address_id, distance, *_ in rows:
        if distance < max_distance and address_id in kept_ids:
            for walked in tuple(walk_from) if way == START else (way,):
                walk_from[walked].append(address_id)
    return Nodes(kept=kept, truncated=len(kept) < len(order), walk_from=walk_from)


def graph_document(
    address_id: int, direction: Direction, depth: int, nodes: Nodes, edge_rows: Sequence[EdgeRow]
) -> dict[str, Any]:
    """The JSON document of GET /lineage (see schemas.LineageGraph): edges between kept
    addresses only, each once, with every pipeline carrying it (by id)."""
    kept_ids = {row[1] for row in nodes.kept}
    pipelines: dict[int, dict[str, Any]] = {}
    carriers: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for source, target, pipeline_id, name, kind, active in edge_rows:
        if source not in kept_ids or target not in kept_ids:
            continue
        pipeline = pipelines.get(pipeline_id)
        if pipeline is None:
            pipeline = pipelines[pipeline_id] = {
                "id": pipeline_id,
                "name": name,
                "type": kind,
                "active": active,
            }
        carried = carriers.get((source, target))
        if carried is None:
            carriers[(source, target)] = [pipeline]
        elif pipeline not in carried:
            carried.append(pipeline)
            carried.sort(key=itemgetter("id"))
    return {
        "address_id": address_id,
        "direction": direction,
        "depth": depth,
        "truncated": nodes.truncated,
        "nodes": [
            {"id": node_id, "name": name, "type": kind, "group": group, "distance": distance}
            for _, node_id, distance, name, kind, group in nodes.kept
        ],
        "edges": [
            {"source": source, "target": target, "pipelines": carried}
            for (source, target), carried in sorted(carriers.items())
        ],
    }
