"""Every SQL statement of log cleanup.

A run is eligible when it started before the runs' cutoff, has finished, and no reference keeps
it; a tree of nested runs goes only when all of its runs are eligible (see `trees.py`).
"""

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, delete, exists, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from watcher_server.db.bulk import delete_where_in, is_one_of, key_chunks
from watcher_server.maintenance.registry import EXECUTIONS, CleanupRegistry, StandaloneLog
from watcher_server.maintenance.retention import Cutoffs
from watcher_server.maintenance.trees import NestedRun
from watcher_server.reports import repository as reports

executions = EXECUTIONS


def _kept_by_reference(registry: CleanupRegistry, cutoffs: Cutoffs) -> Iterator[Any]:
    """One condition per reference table: a row of it points at the run and outlives cleanup."""
    for reference in registry.execution_references:
        condition = reference.column == executions.c.id
        rule = registry.standalone_rule(reference.table)
        if rule is not None:
            condition = condition & ~rule.expired(cutoffs)
        yield exists().where(condition)


def _eligible(cutoffs: Cutoffs, registry: CleanupRegistry) -> ColumnElement[bool]:
    return and_(
        executions.c.start_date < cutoffs["runs"],
        executions.c.completed_successfully.is_not(None),
        *(~kept for kept in _kept_by_reference(registry, cutoffs)),
    )


async def lock_eligible_roots(
    conn: AsyncConnection,
    cutoffs: Cutoffs,
    after: tuple[datetime, int] | None,
    limit: int,
    registry: CleanupRegistry,
) -> list[int]:
    """Ids of up to `limit` eligible runs without a parent, oldest first from `after`, locked.

    Rows another transaction holds (a cleanup running elsewhere, a run being nested under one)
    are skipped rather than waited for.
    """
    statement = select(executions.c.id).where(
        executions.c.parent_id.is_(None), _eligible(cutoffs, registry)
    )
    if after is not None:
        start, run_id = after
        # `start_date >= start` alone bounds the index range; the rest only filters within it.
        statement = statement.where(
            executions.c.start_date >= start,
            or_(executions.c.start_date > start, executions.c.id > run_id),
        )
    statement = (
        statement.order_by(executions.c.start_date, executions.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=executions)
    )
    return list((await conn.execute(statement)).scalars().all())


async def position_of(conn: AsyncConnection, run_id: int) -> tuple[datetime, int]:
    """Where run `run_id` is in the order roots are taken: the next batch starts after it."""
    statement = select(executions.c.start_date).where(executions.c.id == run_id)
    return (await conn.execute(statement)).scalar_one(), run_id


async def nested_runs(
    conn: AsyncConnection, root_ids: Sequence[int], cutoffs: Cutoffs, registry: CleanupRegistry
) -> list[NestedRun]:
    """Every run nested under `root_ids`, at any depth, with whether it is eligible.

    One indexed lookup per level rather than a recursive query: trees are shallow, and the
    planner cannot estimate a recursive query's size, which led it to scan the whole table.
    """
    found: list[NestedRun] = []
    parents = list(root_ids)
    while parents:
        level: list[NestedRun] = []
        for chunk in key_chunks(conn, parents):
            statement = select(
                executions.c.id,
                executions.c.parent_id,
                case((_eligible(cutoffs, registry), 1), else_=0),
            ).where(is_one_of(conn, executions.c.parent_id, "parent_ids", chunk))
            rows = (await conn.execute(statement)).all()
            level += [NestedRun(run_id, parent, bool(ok)) for run_id, parent, ok in rows]
        found += level
        parents = [run.id for run in level]
    return found


async def delete_executions(
    conn: AsyncConnection, levels: Sequence[Sequence[int]], registry: CleanupRegistry
) -> dict[str, int]:
    """Delete runs level by level, deepest first, after the rows that belong to them, and take
    them away from the daily report's totals."""
    run_ids = [run_id for level in levels for run_id in level]
    await reports.take_away_runs(conn, run_ids)
    deleted: dict[str, int] = {}
    for child in registry.execution_children:
        rows = await delete_where_in(conn, child.table, child.column, run_ids)
        deleted[child.table.name] = deleted.get(child.table.name, 0) + rows
    deleted[executions.name] = 0
    for level in levels:
        deleted[executions.name] += await delete_where_in(conn, executions, executions.c.id, level)
    return deleted


async def delete_expired_logs(
    conn: AsyncConnection, log: StandaloneLog, cutoffs: Cutoffs, limit: int
) -> int:
    """Delete up to `limit` of the oldest expired rows of a standalone log; the rows deleted."""
    key = tuple(log.table.primary_key.columns)
    oldest = (
        select(*key)
        .where(log.expired(cutoffs))
        .order_by(log.table.c[log.timestamp_column])
        .limit(limit)
    )
    matches = key[0].in_(oldest) if len(key) == 1 else tuple_(*key).in_(oldest)
    return (await conn.execute(delete(log.table).where(matches))).rowcount


def _deletable_executions(cutoffs: Cutoffs, registry: CleanupRegistry) -> Select[Any]:
    """Ids of every run a cleanup would delete now: the runs of trees that are all eligible."""
    eligible = _eligible(cutoffs, registry)
    # Walk up from every nested run that must stay, to the root of its tree.
    upward = (
        select(executions.c.id, executions.c.parent_id)
        .where(executions.c.parent_id.is_not(None), ~eligible)
        .cte("kept_branch", recursive=True)
    )
    parent = executions.alias("parent")
    upward = upward.union(
        select(parent.c.id, parent.c.parent_id).join(upward, parent.c.id == upward.c.parent_id)
    )
    kept_roots = select(upward.c.id).where(upward.c.parent_id.is_(None))
    # Walk down from every eligible root whose tree has no run that must stay.
    downward = (
        select(executions.c.id)
        .where(executions.c.parent_id.is_(None), eligible, executions.c.id.not_in(kept_roots))
        .cte("deletable", recursive=True)
    )
    nested = executions.alias("nested")
    downward = downward.union_all(
        select(nested.c.id).join(downward, nested.c.parent_id == downward.c.id)
    )
    return select(downward.c.id)


async def count_deletable(
    conn: AsyncConnection, cutoffs: Cutoffs, registry: CleanupRegistry
) -> dict[str, int]:
    """What a cleanup with these cutoffs would delete now, per table, without deleting it."""
    deletable = _deletable_executions(cutoffs, registry)
    total = select(func.count()).select_from(deletable.subquery())
    counts = {executions.name: await _count(conn, total)}
    for child in registry.execution_children:
        statement = select(func.count()).where(child.column.in_(deletable))
        rule = registry.standalone_rule(child.table)
        if rule is not None:  # those rows go with the standalone log, not with their run
            statement = statement.where(~rule.expired(cutoffs))
        counts[child.table.name] = counts.get(child.table.name, 0) + await _count(conn, statement)
    for log in registry.standalone_logs:
        statement = select(func.count()).select_from(log.table).where(log.expired(cutoffs))
        counts[log.table.name] = counts.get(log.table.name, 0) + await _count(conn, statement)
    return counts


async def _count(conn: AsyncConnection, statement: Select[Any]) -> int:
    return int((await conn.execute(statement)).scalar_one())
