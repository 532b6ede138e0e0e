"""The closure arithmetic, without a database: adding and removing an edge the way the SQL
statements do must always give what a breadth-first search over the new edges gives."""

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.lineage.reference import bfs_closure
from watcher_server.lineage.closure import (
    Edge,
    plan_edge_changes,
    rederive_distances,
    removal_keys,
)

NODES = 7
edges_strategy = st.sets(
    st.tuples(st.integers(0, NODES - 1), st.integers(0, NODES - 1)), min_size=1, max_size=24
)


def _ends(closure: dict[Edge, int], edges: set[Edge]) -> tuple[dict, dict]:
    """What repository.get_ends reads: around each source and each target of `edges`."""
    before = {u: {u: 0} | {x: d for (x, y), d in closure.items() if y == u != x} for u, _ in edges}
    after = {v: {v: 0} | {y: d for (x, y), d in closure.items() if x == v != y} for _, v in edges}
    return before, after


def add_edges(closure: dict[Edge, int], edges: set[Edge]) -> dict[Edge, int]:
    """What the INSERT … SELECT … ON CONFLICT DO UPDATE statement does."""
    before, after = _ends(closure, edges)
    result = dict(closure)
    for u, v in edges:
        for x, dx in before[u].items():
            for y, dy in after[v].items():
                result[(x, y)] = min(result.get((x, y), math.inf), dx + 1 + dy)
    return result


def remove_edges(
    closure: dict[Edge, int], edges_after: set[Edge], removed: set[Edge]
) -> dict[Edge, int]:
    """What the removal's statements and the re-derivation do."""
    before, after = _ends(closure, removed)
    keys = removal_keys(removed, before, after)
    suspects = {(x, y) for x, y, depth in keys if closure.get((x, y)) == depth}
    kept = {pair: depth for pair, depth in closure.items() if pair not in suspects}
    sources, targets = {x for x, _ in suspects}, {y for _, y in suspects}
    leaving = {(x, z) for x, z in edges_after if x in sources}
    onward: dict[Edge, int] = {}
    for x, z in leaving:
        for y in targets:
            if (z, y) in kept:
                onward[(x, y)] = min(onward.get((x, y), math.inf), 1 + kept[(z, y)])
    return kept | rederive_distances(suspects, leaving, onward)


def chained(closure: dict[Edge, int], edges: set[Edge]) -> bool:
    """Whether a new path could use two of `edges` (the service then adds them one by one)."""
    sources, targets = {u for u, _ in edges}, {v for _, v in edges}
    return bool(sources & targets) or any((t, s) in closure for t in targets for s in sources)


@settings(max_examples=300, deadline=None)
@given(edges=edges_strategy, data=st.data())
def test_removing_edges_matches_a_fresh_search(edges: set[Edge], data: st.DataObject) -> None:
    removed = data.draw(st.sets(st.sampled_from(sorted(edges)), min_size=1, max_size=4))
    remaining = edges - removed

    assert remove_edges(bfs_closure(edges), remaining, removed) == bfs_closure(remaining)


@settings(max_examples=300, deadline=None)
@given(edges=edges_strategy, added=edges_strategy)
def test_adding_edges_matches_a_fresh_search(edges: set[Edge], added: set[Edge]) -> None:
    closure = bfs_closure(edges)
    if chained(closure, added):
        for edge in sorted(added):  # one at a time, each seeing the previous ones
            closure = add_edges(closure, {edge})
    else:
        closure = add_edges(closure, added)
    assert closure == bfs_closure(edges | added)


forward_edges = st.sets(
    st.tuples(st.integers(0, NODES - 1), st.integers(0, NODES - 1)).filter(lambda e: e[0] < e[1]),
    max_size=15,
)


@settings(max_examples=300, deadline=None)
@given(
    edges=forward_edges,
    added=st.sets(st.tuples(st.integers(0, 2), st.integers(4, NODES - 1)), min_size=2),
)
def test_adding_many_edges_in_one_statement(edges: set[Edge], added: set[Edge]) -> None:
    """Forward-only graphs: no new edge's target reaches a new edge's source."""
    closure = bfs_closure(edges)
    assert not chained(closure, added)
    assert add_edges(closure, added) == bfs_closure(edges | added)


def test_diamond_shortcut_and_cycle() -> None:
    # a=1 → b=2 → d=4, a → c=3 → d, shortcut a → d, cycle d → a.
    edges = {(1, 2), (2, 4), (1, 3), (3, 4), (1, 4), (4, 1)}
    closure = bfs_closure(edges)
    assert closure[(1, 4)] == 1
    assert closure[(1, 1)] == 2  # a lies on the cycle a → d → a

    without_shortcut = remove_edges(closure, edges - {(1, 4)}, {(1, 4)})
    assert without_shortcut == bfs_closure(edges - {(1, 4)})
    assert without_shortcut[(1, 4)] == 2
    assert without_shortcut[(1, 1)] == 3

    without_cycle = remove_edges(without_shortcut, edges - {(1, 4), (4, 1)}, {(4, 1)})
    assert (1, 1) not in without_cycle
    assert (4, 2) not in without_cycle


def test_rederive_leaves_out_pairs_no_longer_connected() -> None:
    assert rederive_distances({(1, 2)}, {(1, 3)}, {}) == {}


def test_a_self_loop_is_a_cycle_of_length_one() -> None:
    assert bfs_closure({(5, 5)}) == {(5, 5): 1}
    assert remove_edges({(5, 5): 1}, set(), {(5, 5)}) == {}


def test_edge_changes_only_count_distinct_edges() -> None:
    changes = plan_edge_changes(
        old={(1, 2), (1, 3)}, new={(1, 3), (1, 4), (1, 5)}, carried_elsewhere={(1, 2), (1, 5)}
    )
    assert changes.removed == {(1, 2)}
    assert changes.added == {(1, 4), (1, 5)}
    assert changes.vanished == ()  # another pipeline still carries 1 → 2
    assert changes.appeared == ((1, 4),)  # 1 → 5 was already in the graph
    assert plan_edge_changes({(1, 2)}, {(1, 2)}, set()).unchanged
