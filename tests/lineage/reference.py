"""The closure computed the obvious way: a breadth-first search from every address."""

from collections import defaultdict, deque
from collections.abc import Iterable

Edge = tuple[int, int]


def bfs_closure(edges: Iterable[Edge]) -> dict[Edge, int]:
    """(x, y) → length of the shortest path of one edge or more from x to y."""
    successors: dict[int, set[int]] = defaultdict(set)
    for source, target in edges:
        successors[source].add(target)
    closure: dict[Edge, int] = {}
    for start in list(successors):
        queue = deque((target, 1) for target in successors[start])
        seen: set[int] = set()
        while queue:
            node, distance = queue.popleft()
            if node in seen:
                continue
            seen.add(node)
            closure[(start, node)] = distance
            queue.extend((after, distance + 1) for after in successors.get(node, ()))
    return closure
