"""Pure computations behind the lineage closure; no database here.

The closure holds, for every pair (x, y) such that y is reachable from x through one edge or
more, the length of the shortest such path. It depends only on the set of distinct edges, so a
pipeline's lineage write is first reduced to the distinct edges that appear and disappear.

Adding edges is one SQL statement (for each new edge u → v, the addresses reaching u by those v
reaches, at the smallest sum of distances) as long as no new path can run through two new
edges; otherwise edge by edge. Removing edges deletes the rows they may have shortened
(`removal_keys`) and re-derives exactly those (`rederive_distances`), all removed edges at once.
"""

import heapq
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

Edge = tuple[int, int]


@dataclass(frozen=True)
class EdgeChanges:
    """What replacing one pipeline's edges `old` by `new` does to the tables."""

    removed: frozenset[Edge]  # rows of this pipeline to delete
    added: frozenset[Edge]  # rows of this pipeline to insert
    vanished: tuple[Edge, ...]  # distinct edges no pipeline carries any more (closure shrinks)
    appeared: tuple[Edge, ...]  # distinct edges no pipeline carried before (closure grows)

    @property
    def unchanged(self) -> bool:
        return not self.removed and not self.added


def plan_edge_changes(
    old: Iterable[Edge], new: Iterable[Edge], carried_elsewhere: Iterable[Edge]
) -> EdgeChanges:
    """Diff a pipeline's edge sets; `carried_elsewhere` are edges other pipelines declare."""
    old_set, new_set, others = frozenset(old), frozenset(new), frozenset(carried_elsewhere)
    removed, added = old_set - new_set, new_set - old_set
    return EdgeChanges(
        removed=removed,
        added=added,
        vanished=tuple(sorted(removed - others)),
        appeared=tuple(sorted(added - others)),
    )


def removal_keys(
    edges: Iterable[Edge],
    before: Mapping[int, Mapping[int, int]],
    after: Mapping[int, Mapping[int, int]],
) -> list[tuple[int, int, int]]:
    """The closure rows that removing `edges` may change, as (x, y, depth) keys.

    A row (x, y) may owe its distance to a removed edge u → v exactly when its depth equals
    d(x, u) + 1 + d(v, y); as the edge exists, the depth is never more than that, so it is
    enough to compare with the smallest such sum over the removed edges. `before[u]` maps u
    (at 0) and every address reaching it to its distance; `after[v]` likewise for v and every
    address it reaches.
    """
    targets_of: dict[int, set[int]] = defaultdict(set)
    for source, target in edges:
        targets_of[source].add(target)
    best: dict[Edge, int] = {}
    for source, targets in targets_of.items():
        onward: dict[int, int] = {}
        for target in targets:
            for y, depth in after[target].items():
                if depth < onward.get(y, depth + 1):
                    onward[y] = depth
        for x, to_source in before[source].items():
            for y, from_target in onward.items():
                depth = to_source + 1 + from_target
                if depth < best.get((x, y), depth + 1):
                    best[(x, y)] = depth
    return [(x, y, depth) for (x, y), depth in best.items()]


def rederive_distances(
    suspects: Iterable[Edge], edges: Iterable[Edge], onward: Mapping[Edge, int]
) -> dict[Edge, int]:
    """New shortest distances of the closure rows a removed edge may have changed.

    `suspects` are the deleted rows (x, y): those whose shortest path may have used the edge.
    Every other row is still exact. A new shortest path from x to y therefore first runs
    through suspect sources of the same target y, then leaves them through an edge x' → z,
    either straight to y or into a z whose remaining row (z, y) is exact. So:

    - `edges` are the current distinct edges leaving suspect sources;
    - `onward[(x, y)]` is the shortest 1 + depth(z, y) over those edges x → z, from the rows
      that remain (pairs other than suspects are ignored).

    A Dijkstra per target combines both. Pairs no longer connected are left out.
    """
    suspect_set = set(suspects)
    exits = {pair: depth for pair, depth in onward.items() if pair in suspect_set}
    sources_by_target: dict[int, set[int]] = defaultdict(set)
    for x, y in suspect_set:
        sources_by_target[y].add(x)
    predecessors: dict[int, set[int]] = defaultdict(set)
    for x, z in edges:
        if (x, z) in suspect_set:
            exits[(x, z)] = 1
        predecessors[z].add(x)
    distances: dict[Edge, int] = {}
    for target, sources in sources_by_target.items():
        for source, distance in _distances_to(target, sources, predecessors, exits).items():
            distances[(source, target)] = distance
    return distances


def _distances_to(
    target: int,
    sources: set[int],
    predecessors: Mapping[int, set[int]],
    exits: Mapping[Edge, int],
) -> dict[int, int]:
    best = {x: exits[(x, target)] for x in sources if (x, target) in exits}
    queue = [(distance, x) for x, distance in best.items()]
    heapq.heapify(queue)
    done: set[int] = set()
    while queue:
        distance, node = heapq.heappop(queue)
        if node in done:
            continue
        done.add(node)
        if node == target:
            continue  # reaching the target ends a path; its own cycle length is no step
        for previous in predecessors.get(node, ()):
            if previous in sources and distance + 1 < best.get(previous, distance + 2):
                best[previous] = distance + 1
                heapq.heappush(queue, (distance + 1, previous))
    return best
