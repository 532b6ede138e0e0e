"""Which nested runs may go: whole trees only, and children before their parents.

A tree is a run with no parent and every run nested under it, at any depth. Cleanup deletes a
tree only when every run in it is eligible (started before the cutoff, finished, not kept by a
reference); one young or running run keeps its whole tree, so a run is never shown with part of
its nested runs missing.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple


class NestedRun(NamedTuple):  # a tuple: batches build thousands of them
    id: int
    parent_id: int
    eligible: bool


@dataclass
class Selection:
    # Run ids by depth in their tree, deepest first: deleting level after level never deletes a
    # parent before its children, even where the database checks each row as it goes (SQLite).
    levels: list[list[int]] = field(default_factory=list)
    roots_examined: int = 0  # roots taken or found to stay; the next batch starts after them

    @property
    def run_ids(self) -> list[int]:
        return [run_id for level in self.levels for run_id in level]


def deletable_trees(roots: Sequence[int], nested: Iterable[NestedRun], limit: int) -> Selection:
    """The whole trees under `roots` whose runs are all eligible, at most `limit` runs.

    `roots` are eligible runs without a parent, in the order to take them; `nested` holds every run
    under them. Trees are taken in that order until the next one would exceed `limit`; the first
    tree is always taken, however large, so that every batch makes progress.
    """
    children: dict[int, list[NestedRun]] = {}
    for run in nested:
        children.setdefault(run.parent_id, []).append(run)
    by_depth: list[list[int]] = [[]]
    taken = 0
    examined = 0
    for root in roots:
        if root not in children:  # most runs have no nested runs
            if taken >= limit:
                break
            by_depth[0].append(root)
            taken += 1
            examined += 1
            continue
        tree = _levels_if_all_eligible(root, children)
        if tree is not None:
            size = sum(len(level) for level in tree)
            if taken and taken + size > limit:
                break
            taken += size
            by_depth += [[] for _ in range(len(tree) - len(by_depth))]
            for depth, level in enumerate(tree):
                by_depth[depth] += level
        examined += 1
    return Selection([level for level in reversed(by_depth) if level], examined)


def _levels_if_all_eligible(
    root: int, children: dict[int, list[NestedRun]]
) -> list[list[int]] | None:
    """The tree's ids by depth (the root alone first), or None when a run in it must stay."""
    levels = [[root]]
    while True:
        below = [child for parent in levels[-1] for child in children.get(parent, ())]
        if not below:
            return levels
        if not all(child.eligible for child in below):
            return None
        levels.append([child.id for child in below])
