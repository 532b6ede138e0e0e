"""The in-process job runner: each job is an asyncio task that lives until the runner stops.

Scheduled (cron) jobs are elected through the database: before running a scheduled time, a
process claims it with a compare-and-set on `job_state.last_fire_at`, so each time runs once
however many Watcher processes share the database, and a process that starts after a missed
time runs it once (not once per missed time). Poll jobs run in every process; they claim
their work rows themselves.
"""

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from time import perf_counter
from typing import Any

import httpx

from watcher_server.clock import Clock
from watcher_server.db import Database
from watcher_server.db.availability import is_database_unavailable
from watcher_server.jobs import repository as repo
from watcher_server.jobs.schedule import latest_fire
from watcher_server.jobs.spec import CronJob, Job, JobContext, PollJob
from watcher_server.observability.metrics import JOB_DURATION, JOB_RUNS
from watcher_server.settings import Settings

logger = logging.getLogger(__name__)


@dataclass
class _Outcome:
    started_at: datetime
    finished_at: datetime
    error: str | None
    result: dict[str, Any] | None


class JobRunner:
    """Runs `jobs` in this process: `await start()`, later `await stop()`."""

    def __init__(
        self,
        jobs: Sequence[Job],
        database: Database,
        settings: Settings,
        clock: Clock,
        *,
        tick_seconds: float = 1.0,
        heartbeat_seconds: float = 30.0,
    ) -> None:
        self.jobs = [job for job in jobs if job.enabled]
        self.database = database
        self.settings = settings
        self.clock = clock
        self.tick_seconds = tick_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self._tasks: list[asyncio.Task[None]] = []
        self._http: httpx.AsyncClient | None = None
        self._last_logged_error: dict[str, str] = {}

    async def start(self) -> None:
        self._http = httpx.AsyncClient(timeout=self.settings.watcher_alert_timeout_seconds)
        context = JobContext(self.database, self.settings, self.clock, self._http)
        for job in self.jobs:
            loop = self._cron_loop if isinstance(job, CronJob) else self._poll_loop
            self._tasks.append(asyncio.create_task(loop(job, context), name=f"job:{job.name}"))
        logger.info("background jobs started: %s", ", ".join(job.name for job in self.jobs))

    async def stop(self) -> None:
        """Cancel every job; a job cut off mid-transaction is rolled back."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self._http is not None:
            await self._http.aclose()

    async def _cron_loop(self, job: CronJob, context: JobContext) -> None:
        schedule = str(job.schedule)  # disabled jobs (no schedule) never get here
        known_fire: datetime | None = None
        while True:
            try:
                if known_fire is None:
                    known_fire = await self._register(job.name, schedule)
                fire = latest_fire(schedule, self.clock())
                if fire > known_fire:
                    known_fire = await self._run_fire(job, context, fire)
                self._clear_error(f"{job.name} scheduler")
            except Exception as exc:
                self._log_error(f"{job.name} scheduler", exc)
            await asyncio.sleep(self.tick_seconds)

    async def _register(self, name: str, schedule: str) -> datetime:
        """Create the job's row if needed; a new job starts from the latest scheduled time."""
        now = self.clock()
        async with self.database.transaction() as conn:
            state = await repo.register(conn, name, latest_fire(schedule, now), now)
        return state.last_fire_at or datetime.min.replace(tzinfo=now.tzinfo)

    async def _run_fire(self, job: CronJob, context: JobContext, fire: datetime) -> datetime:
        """Run the scheduled time `fire` if this process wins it; answers the latest known fire."""
        async with self.database.transaction() as conn:
            claimed = await repo.claim_fire(conn, job.name, fire, self.clock())
            if not claimed:
                return await repo.last_fire(conn, job.name) or fire
        logger.info("job %s: running its %s run", job.name, fire.isoformat())
        outcome = await self._call(job, context)
        await self._record(job, outcome)
        return fire

    async def _poll_loop(self, job: PollJob, context: JobContext) -> None:
        last_recorded: datetime | None = None
        last_error: str | None = None
        while True:
            outcome = await self._call(job, context)
            worked = int((outcome.result or {}).get("items", 0))
            # Poll jobs run every few seconds: their state is written on a change of health
            # and otherwise as a heartbeat, not on every run.
            due = last_recorded is None or (
                (outcome.finished_at - last_recorded).total_seconds() >= self.heartbeat_seconds
            )
            if due or outcome.error != last_error:
                try:
                    await self._record(job, outcome)
                    last_recorded, last_error = outcome.finished_at, outcome.error
                    self._clear_error(f"{job.name} state")
                except Exception as exc:
                    self._log_error(f"{job.name} state", exc)
            await asyncio.sleep(0 if worked > 0 else job.every_seconds)

    async def _call(self, job: Job, context: JobContext) -> _Outcome:
        """Run the job once, turning any failure into an outcome (a job never stops its loop)."""
        started, timer = self.clock(), perf_counter()
        try:
            returned = await job.run(context)
        except Exception as exc:
            _measure(job, "error", timer)
            self._log_error(job.name, exc)
            return _Outcome(started, self.clock(), f"{type(exc).__name__}: {exc}", None)
        _measure(job, "ok", timer)
        self._clear_error(job.name)
        return _Outcome(started, self.clock(), None, _as_result(returned))

    async def _record(self, job: Job, outcome: _Outcome) -> None:
        async with self.database.transaction() as conn:
            if isinstance(job, PollJob):
                await repo.register(conn, job.name, None, outcome.started_at)
            await repo.record_run(
                conn,
                job.name,
                started_at=outcome.started_at,
                finished_at=outcome.finished_at,
                error=outcome.error,
                result=outcome.result,
            )

    def _log_error(self, what: str, exc: Exception) -> None:
        # A database that is down fails every tick: log each new error once, not every second.
        text = f"{type(exc).__name__}: {exc}"
        if self._last_logged_error.get(what) == text:
            return
        self._last_logged_error[what] = text
        if is_database_unavailable(exc):
            # An outage, not a bug: one line, no traceback.
            logger.warning("job %s: database unavailable (%s); retrying", what, text)
        else:
            logger.error("job %s failed", what, exc_info=exc)

    def _clear_error(self, what: str) -> None:
        if self._last_logged_error.pop(what, None) is not None:
            logger.info("job %s is healthy again", what)


def _measure(job: Job, status: str, timer: float) -> None:
    JOB_RUNS.labels(job.name, status).inc()
    JOB_DURATION.labels(job.name).observe(perf_counter() - timer)


def _as_result(returned: Mapping[str, Any] | int | None) -> dict[str, Any] | None:
    if returned is None:
        return None
    if isinstance(returned, int):
        return {"items": returned}
    return dict(returned)
