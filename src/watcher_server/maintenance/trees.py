"""Which nested runs may go: whole trees only, and children before their parents.

A tree is a run with no parent and every run nested under it, at any depth. Cleanup deletes a
tree only when every run in it is eligible (started before the cutoff, finished, not kept by a
reference); one young or running run keeps its whole tree, so a run is never shown with part of
its nested runs missing.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class NestedRun:
    id: int
    parent_id: int
    eligible: bool


@dataclass(frozen=True)
class Selection:
    run_ids: list[int]  # children before their parents
    roots_examined: int  # roots taken or found to stay; the next batch starts after them


def deletable_trees(roots: Sequence[int], nested: Iterable[NestedRun], limit: int) -> Selection:
    """The whole trees under `roots` whose runs are all eligible, at most `limit` runs.

    `roots` are eligible runs without a parent, in the order to take them; `nested` holds every run
    under them. Trees are taken in that order until the next one would exceed `limit`; the first
    tree is always taken, however large, so that every batch makes progress.
    """
    children: dict[int, list[NestedRun]] = {}
    for run in nested:
        children.setdefault(run.parent_id, []).append(run)
    chosen: list[int] = []
    examined = 0
    for root in roots:
        tree = _tree_if_all_eligible(root, children)
        if tree is not None:
            if chosen and len(chosen) + len(tree) > limit:
                break
            chosen += tree
        examined += 1
    return Selection(chosen, examined)


def _tree_if_all_eligible(root: int, children: dict[int, list[NestedRun]]) -> list[int] | None:
    """The tree's ids with every child before its parent, or None when a run in it must stay."""
    ordered: list[int] = []
    stack = [root]
    while stack:
        run_id = stack.pop()
        ordered.append(run_id)
        for child in children.get(run_id, ()):
            if not child.eligible:
                return None
            stack.append(child.id)
    # Every parent was appended before its children: reversed, children come first.
    ordered.reverse()
    return ordered
