"""Assemble a lineage graph answer from the rows each direction returned; no database here."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from watcher_server.lineage.schemas import Direction


@dataclass
class Walk:
    """What one direction returned: its nearest addresses (start excluded) and its edges, one
    row per (edge, pipeline)."""

    nodes: Sequence[Any]  # id, distance, name, type, group
    edges: Sequence[Any]  # source_address_id, target_address_id, pipeline_id, pipeline_name,
    # pipeline_type, active
    reaches_beyond_depth: bool = False


@dataclass
class Graph:
    nodes: list[dict[str, Any]] = field(default_factory=list)
    edges: list[dict[str, Any]] = field(default_factory=list)
    truncated: bool = False


def assemble(start: Any, walks: Iterable[Walk], max_nodes: int) -> Graph:
    """Merge the walks: each address once at its smallest distance, at most `max_nodes`
    addresses (the start first, then nearest first, then by id), and the edges between kept
    addresses with the pipelines that carry them."""
    walks = list(walks)
    distance = {start.id: 0}
    rows = {start.id: start}
    for walk in walks:
        for row in walk.nodes:
            if row.id not in distance or row.distance < distance[row.id]:
                distance[row.id], rows[row.id] = row.distance, row
    order = sorted(distance, key=lambda node_id: (distance[node_id], node_id))
    kept = order[:max_nodes]
    truncated = len(order) > max_nodes or any(walk.reaches_beyond_depth for walk in walks)
    nodes = [_node(rows[node_id], distance[node_id]) for node_id in kept]
    return Graph(nodes=nodes, edges=_edges(walks, set(kept)), truncated=truncated)


def _node(row: Any, distance: int) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "type": row.type,
        "group": row.group,
        "distance": distance,
    }


def _edges(walks: Iterable[Walk], kept: set[int]) -> list[dict[str, Any]]:
    carriers: dict[tuple[int, int], dict[int, dict[str, Any]]] = {}
    for walk in walks:
        for row in walk.edges:
            source, target = row.source_address_id, row.target_address_id
            if source not in kept or target not in kept:
                continue
            carriers.setdefault((source, target), {})[row.pipeline_id] = {
                "id": row.pipeline_id,
                "name": row.pipeline_name,
                "type": row.pipeline_type,
                "active": row.active,
            }
    return [
        {
            "source": source,
            "target": target,
            "pipelines": [pipelines[key] for key in sorted(pipelines)],
        }
        for (source, target), pipelines in sorted(carriers.items())
    ]


def walk_directions(direction: Direction) -> tuple[str, ...]:
    """The directions walked for a requested one."""
    return ("upstream", "downstream") if direction == "both" else (direction,)
