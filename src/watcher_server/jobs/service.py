"""The health of the background jobs, read from their shared state rows."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from watcher_server.jobs import repository as repo
from watcher_server.jobs.schedule import next_fire
from watcher_server.jobs.schemas import JobHealthOut
from watcher_server.jobs.spec import CronJob, Job

# How long past its time a job may be before it counts as late (a busy or restarting process).
LATE_AFTER = timedelta(minutes=5)


async def job_health(
    conn: AsyncConnection, jobs: Sequence[Job], now: datetime, *, runs_here: bool
) -> list[JobHealthOut]:
    """One entry per configured job. Without a state row a job has never been started; that is
    late unless this very process runs the jobs (and is just starting)."""
    states = {row.name: row for row in await repo.list_states(conn)}
    return [_health(job, states.get(job.name), now, runs_here) for job in jobs]


def _health(job: Job, state: Row[Any] | None, now: datetime, runs_here: bool) -> JobHealthOut:
    if isinstance(job, CronJob):
        kind, schedule, every = "cron", job.schedule, None
        next_run = (
            next_fire(str(job.schedule), state.last_fire_at)
            if state is not None and state.last_fire_at is not None
            else None
        )
        late = next_run is not None and now > next_run + LATE_AFTER
    else:
        kind, schedule, every, next_run = "poll", None, job.every_seconds, None
        seen = state.last_finished_at or state.last_started_at if state is not None else None
        allowed = max(LATE_AFTER, timedelta(seconds=10 * job.every_seconds))
        late = seen is None or now - seen > allowed
    return JobHealthOut(
        name=job.name,
        kind=kind,
        schedule=schedule,
        every_seconds=every,
        last_fire_at=state.last_fire_at if state else None,
        last_started_at=state.last_started_at if state else None,
        last_finished_at=state.last_finished_at if state else None,
        last_status=state.last_status if state else None,
        last_error=state.last_error if state else None,
        last_result=state.last_result if state else None,
        next_run_at=next_run,
        # No state at all: never started, which is only expected while this process starts.
        late=not runs_here if state is None else late,
    )
