"""The timeliness and freshness checks: find, log once per episode, alert in the same commit."""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from watcher_server.alerts.outbox import enqueue_alerts
from watcher_server.db import Database
from watcher_server.db.locks import lock_for_transaction
from watcher_server.errors import NotFound
from watcher_server.monitoring import messages
from watcher_server.monitoring import repository as repo
from watcher_server.monitoring.rules import (
    FreshAgain,
    OverdueExecution,
    StalePipeline,
    last_dml,
    missed_deadline,
    stale_since,
)
from watcher_server.monitoring.schemas import FreshnessReport, TimelinessReport
from watcher_server.monitoring.thresholds import LevelSetting, Threshold, resolve_threshold
from watcher_server.pipelines import repository as pipelines_repo

# Checks of the same kind never run at the same time, in any process (advisory lock).
TIMELINESS_LOCK = "timeliness_check"
FRESHNESS_LOCK = "freshness_check"


async def check_timeliness(db: Database, now: datetime, lookback_minutes: int) -> TimelinessReport:
    """Find overdue runs: every run still going, and the successful runs that ended within the
    lookback window; log and alert the ones not seen before."""
    since = now - timedelta(minutes=lookback_minutes)
    async with db.transaction() as conn:
        await lock_for_transaction(conn, TIMELINESS_LOCK)
        found = [finding async for finding in _overdue_executions(conn, now, since)]
        unseen = [finding for finding in found if finding.new]
        logged = await repo.insert_timeliness_logs(conn, unseen, now)
        new = [finding for finding in unseen if finding.execution_id in logged]
        await enqueue_alerts(conn, [messages.overdue_alert(finding) for finding in new], now)
    return TimelinessReport.from_findings(found, logged, now, lookback_minutes)


async def _overdue_executions(
    conn: AsyncConnection, now: datetime, since: datetime
) -> AsyncIterator[OverdueExecution]:
    for rows in (
        repo.stream_running_executions(conn, now),
        repo.stream_late_finishes(conn, since),
    ):
        async for row in rows:
            finding = _overdue(row, now)
            if finding is not None:
                yield finding


def _overdue(row: Row[Any], now: datetime) -> OverdueExecution | None:
    threshold = _threshold(row)
    if threshold is None:
        return None
    deadline = missed_deadline(row.start_date, row.end_date, threshold, now)
    if deadline is None:
        return None
    running = row.end_date is None
    return OverdueExecution(
        execution_id=row.id,
        pipeline_id=row.pipeline_id,
        pipeline_name=row.pipeline_name,
        status="running" if running else "completed",
        start_date=row.start_date,
        duration_seconds=int((now - row.start_date).total_seconds())
        if running
        else row.duration_seconds,
        deadline_at=deadline,
        threshold=threshold,
        new=not row.logged,
    )


async def check_freshness(db: Database, now: datetime) -> FreshnessReport:
    """Find stale pipelines (no data loaded within their threshold, counted from their last
    load or, if they never loaded, from their creation); log and alert each new episode, and
    announce the pipelines that are fresh again."""
    async with db.transaction() as conn:
        await lock_for_transaction(conn, FRESHNESS_LOCK)
        found = _FreshnessFindings()
        async for row in _one_row_per_pipeline(repo.stream_freshness_candidates(conn, now)):
            found.judge(row, now)
        await repo.close_open_episodes(conn, found.superseded, now)
        await repo.resolve_episodes(conn, [fresh.episode_id for fresh in found.recovered], now)
        logged = await repo.insert_freshness_episodes(conn, found.new_episodes, now)
        drafts = [messages.stale_alert(s) for s in found.new_episodes if s.pipeline_id in logged]
        drafts += [messages.fresh_again_alert(fresh) for fresh in found.recovered]
        await enqueue_alerts(conn, drafts, now)
    return FreshnessReport.from_findings(found.stale, logged, found.recovered, now)


async def _one_row_per_pipeline(rows: AsyncIterator[Row[Any]]) -> AsyncIterator[Row[Any]]:
    """Rows come ordered by pipeline, newest open episode first; keep the first of each."""
    previous = None
    async for row in rows:
        if row.id != previous:
            previous = row.id
            yield row


@dataclass
class _FreshnessFindings:
    stale: list[StalePipeline] = field(default_factory=list)
    recovered: list[FreshAgain] = field(default_factory=list)
    # Pipelines whose open episode ends because a newer one starts (loaded, then stale again).
    superseded: list[int] = field(default_factory=list)

    @property
    def new_episodes(self) -> list[StalePipeline]:
        return [finding for finding in self.stale if finding.new]

    def judge(self, row: Row[Any], now: datetime) -> None:
        """Classify one pipeline: stale (in a known or a new episode), fresh again, or fine."""
        threshold = _threshold(row)
        if threshold is None:
            return
        loads = (row.last_target_insert, row.last_target_update, row.last_target_soft_delete)
        loaded = last_dml(*loads)
        measured_from = loaded if loaded is not None else row.created_at
        deadline = stale_since(measured_from, threshold, now)
        has_open = row.open_episode_id is not None
        if deadline is None:
            if has_open:
                self.recovered.append(
                    FreshAgain(row.open_episode_id, row.id, row.name, loaded, row.open_deadline_at)
                )
            return
        known = has_open and row.open_measured_from == measured_from
        if has_open and not known:
            self.superseded.append(row.id)
        self.stale.append(
            StalePipeline(row.id, row.name, loaded, measured_from, deadline, threshold, not known)
        )


def _threshold(row: Row[Any]) -> Threshold | None:
    # Rows only come from pipelines muted at neither level (see repository._checked_pipelines).
    return resolve_threshold(
        LevelSetting(row.own_number, row.own_datepart),
        LevelSetting(row.type_number, row.type_datepart),
    )


async def list_timeliness_logs(
    db: Database, pipeline_id: int | None, limit: int, offset: int
) -> list[Row[Any]]:
    async with db.transaction() as conn:
        await _require_pipeline(conn, pipeline_id)
        return await repo.list_timeliness_logs(conn, pipeline_id, limit, offset)


async def list_freshness_logs(
    db: Database, pipeline_id: int | None, limit: int, offset: int
) -> list[Row[Any]]:
    async with db.transaction() as conn:
        await _require_pipeline(conn, pipeline_id)
        return await repo.list_freshness_logs(conn, pipeline_id, limit, offset)


async def _require_pipeline(conn: AsyncConnection, pipeline_id: int | None) -> None:
    if pipeline_id is not None and not await pipelines_repo.pipeline_exists(conn, pipeline_id):
        raise NotFound(f"pipeline {pipeline_id} not found")
