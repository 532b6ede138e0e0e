"""Whole trees only, children first: the pure part of choosing what a batch deletes."""

from hypothesis import given, settings
from hypothesis import strategies as st

from watcher_server.maintenance.trees import NestedRun, deletable_trees


def test_a_tree_goes_whole_with_children_before_parents() -> None:
    nested = [NestedRun(2, 1, True), NestedRun(3, 2, True), NestedRun(4, 1, True)]

    chosen = deletable_trees([1], nested, limit=100)

    assert sorted(chosen.run_ids) == [1, 2, 3, 4]
    position = {run_id: index for index, run_id in enumerate(chosen.run_ids)}
    assert position[3] < position[2] < position[1]
    assert position[4] < position[1]


def test_one_run_that_must_stay_keeps_its_whole_tree() -> None:
    nested = [NestedRun(2, 1, True), NestedRun(3, 2, False), NestedRun(11, 10, True)]

    chosen = deletable_trees([1, 10], nested, limit=100)

    assert chosen.run_ids == [11, 10]
    assert chosen.roots_examined == 2


def test_trees_are_taken_whole_up_to_the_limit() -> None:
    nested = [NestedRun(2, 1, True), NestedRun(4, 3, True), NestedRun(5, 3, True)]

    first = deletable_trees([1, 3, 6], nested, limit=3)
    oversized = deletable_trees([3], nested, limit=1)

    assert (sorted(first.run_ids), first.roots_examined) == ([1, 2], 1)
    assert sorted(oversized.run_ids) == [3, 4, 5]  # the first tree always goes, for progress


@st.composite
def forests(draw: st.DrawFn) -> tuple[list[int], list[NestedRun], dict[int, int | None]]:
    """Random forests: run i is nested under an earlier run or is a root."""
    size = draw(st.integers(1, 30))
    parents: dict[int, int | None] = {}
    eligible: dict[int, bool] = {}
    for run_id in range(1, size + 1):
        parents[run_id] = (
            draw(st.one_of(st.none(), st.integers(1, run_id - 1))) if run_id > 1 else None
        )
        eligible[run_id] = draw(st.booleans()) if parents[run_id] else True
    roots = [run_id for run_id, parent in parents.items() if parent is None]
    nested = [NestedRun(i, p, eligible[i]) for i, p in parents.items() if p is not None]
    return roots, nested, parents


@settings(max_examples=200, deadline=None)
@given(forests(), st.integers(1, 40))
def test_any_forest(forest: tuple, limit: int) -> None:
    roots, nested, parents = forest
    ineligible = {run.id for run in nested if not run.eligible}

    def root_of(run_id: int) -> int:
        while parents[run_id] is not None:
            run_id = parents[run_id]
        return run_id

    chosen = deletable_trees(roots, nested, limit)

    taken_roots = {root_of(run_id) for run_id in chosen.run_ids}
    examined = roots[: chosen.roots_examined]
    clean = {root for root in examined if all(root_of(i) != root for i in ineligible)}
    assert taken_roots == clean
    assert sorted(chosen.run_ids) == sorted(i for i in parents if root_of(i) in clean)
    position = {run_id: index for index, run_id in enumerate(chosen.run_ids)}
    assert all(position[i] < position[parents[i]] for i in position if parents[i] is not None)
    assert len(chosen.run_ids) <= limit or len(taken_roots) == 1
    assert chosen.roots_examined == len(roots) or chosen.run_ids
