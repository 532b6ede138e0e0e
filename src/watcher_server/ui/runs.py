"""The run page: a run, its nested runs at every depth on one timeline, what detection found."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row

from watcher_server.anomalies import repository as anomalies_repo
from watcher_server.db import Database
from watcher_server.executions import repository as executions_repo
from watcher_server.pipelines import repository as pipelines_repo
from watcher_server.ui.charts import run_status


@dataclass(frozen=True)
class TimelineBar:
    """One run of a tree, placed on the tree's time span (percentages of it)."""

    run: Row[Any]
    depth: int
    status: str
    left: float
    width: float
    seconds: float


@dataclass
class RunPage:
    run: Row[Any]
    bars: list[TimelineBar]
    names: dict[int, str]
    findings: list[Row[Any]]
    elapsed: float
    any_running: bool


def timeline(tree: list[Row[Any]], root_id: int, now: datetime) -> list[TimelineBar]:
    """The bars of a run tree in depth-first order (children by start), on one time axis from
    the first start to the last end; a running run ends now."""
    children: dict[int | None, list[Row[Any]]] = {}
    for run in tree:
        children.setdefault(run.parent_id, []).append(run)
    start = min(run.start_date for run in tree)
    end = max(max(run.end_date or now, run.start_date) for run in tree)
    span = max((end - start).total_seconds(), 1e-6)
    bars: list[TimelineBar] = []

    def visit(run: Row[Any], depth: int) -> None:
        finish = run.end_date or max(now, run.start_date)
        seconds = (finish - run.start_date).total_seconds()
        left = (run.start_date - start).total_seconds() / span * 100
        bars.append(
            TimelineBar(
                run,
                depth,
                run_status(run.completed_successfully),
                left,
                seconds / span * 100,
                seconds,
            )
        )
        for child in sorted(children.get(run.id, []), key=lambda c: (c.start_date, c.id)):
            visit(child, depth + 1)

    visit(next(run for run in tree if run.id == root_id), 0)
    return bars


async def run_page(db: Database, now: datetime, run_id: int) -> RunPage | None:
    """A run, its nested runs at every depth and what detection found in it; None if absent."""
    async with db.transaction() as conn:
        tree = await executions_repo.get_execution_tree(conn, run_id)
        if not tree:
            return None
        names = await pipelines_repo.get_names(conn, {run.pipeline_id for run in tree})
        findings = await anomalies_repo.list_results(conn, None, run_id, 100, 0)
    run = next(row for row in tree if row.id == run_id)
    return RunPage(
        run=run,
        bars=timeline(tree, run_id, now),
        names=names,
        findings=findings,
        elapsed=((run.end_date or now) - run.start_date).total_seconds(),
        any_running=any(row.end_date is None for row in tree),
    )
