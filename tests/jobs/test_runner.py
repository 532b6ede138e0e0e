"""The job runner on a real database: each scheduled time runs once, whatever happens."""

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.clock import MovableClock
from watcher_server.db import Database
from watcher_server.jobs.runner import JobRunner
from watcher_server.jobs.schemas import JobHealthOut
from watcher_server.jobs.service import job_health
from watcher_server.jobs.spec import CronJob, Job, JobContext, PollJob
from watcher_server.settings import Settings

T0 = datetime(2026, 5, 1, 12, 0, 30, tzinfo=UTC)


@asynccontextmanager
async def running(
    jobs: Sequence[Job], settings: Settings, clock: MovableClock, url: str | None = None
) -> AsyncIterator[JobRunner]:
    """A runner on its own engine: two of them behave like two Watcher processes."""
    database = Database(url or settings.database_url, pool_size=3)
    runner = JobRunner(jobs, database, settings, clock, tick_seconds=0.02, heartbeat_seconds=0)
    await runner.start()
    try:
        yield runner
    finally:
        await runner.stop()
        await database.dispose()


async def eventually(condition: Callable[[], bool], within: float = 5) -> None:
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110 - the runner's tasks change it
            await asyncio.sleep(0.02)


def recorder(calls: list[datetime]) -> Callable[[JobContext], Any]:
    async def run(context: JobContext) -> dict[str, int]:
        calls.append(context.clock())
        return {"runs": len(calls)}

    return run


async def health_of(settings: Settings, job: Job, now: datetime) -> JobHealthOut:
    database = Database(settings.database_url)
    try:
        async with database.transaction() as conn:
            [health] = await job_health(conn, [job], now, runs_here=False)
    finally:
        await database.dispose()
    return health


async def test_each_scheduled_time_runs_once_across_processes(
    settings: Settings, unique: str
) -> None:
    clock, calls = MovableClock(T0), []
    job = CronJob(f"every minute {unique}", "* * * * *", recorder(calls))

    async with running([job], settings, clock), running([job], settings, clock):
        await asyncio.sleep(0.2)
        assert calls == []  # a new job waits for its first scheduled time
        for expected in (1, 2):
            clock.advance(seconds=60)
            await eventually(lambda n=expected: len(calls) == n)
            await asyncio.sleep(0.2)  # both processes had time to run it again: neither did
            assert len(calls) == expected

    health = await health_of(settings, job, clock.now)
    assert health.last_fire_at == datetime(2026, 5, 1, 12, 2, tzinfo=UTC)
    assert (health.last_status, health.last_result, health.late) == (
        "succeeded",
        {"runs": 2},
        False,
    )
    assert health.next_run_at == datetime(2026, 5, 1, 12, 3, tzinfo=UTC)


async def test_times_missed_while_down_run_once_at_start(settings: Settings, unique: str) -> None:
    clock, calls = MovableClock(T0), []
    job = CronJob(f"quarterly {unique}", "*/15 * * * *", recorder(calls))
    async with running([job], settings, clock):
        await asyncio.sleep(0.1)

    clock.advance(days=1)  # 96 scheduled times pass with no Watcher running
    assert (await health_of(settings, job, clock.now)).late is True
    async with running([job], settings, clock):
        await eventually(lambda: len(calls) == 1)
        await asyncio.sleep(0.2)

    assert len(calls) == 1
    assert (await health_of(settings, job, clock.now)).late is False


async def test_a_failing_job_is_recorded_and_runs_again_at_its_next_time(
    settings: Settings, unique: str
) -> None:
    clock, attempts = MovableClock(T0), []

    async def flaky(_: JobContext) -> dict[str, bool]:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("warehouse unreachable")
        return {"ok": True}

    job = CronJob(f"flaky {unique}", "* * * * *", flaky)
    async with running([job], settings, clock):
        await asyncio.sleep(0.1)
        clock.advance(seconds=60)
        await eventually(lambda: len(attempts) == 1)
        await asyncio.sleep(0.1)
        failed = await health_of(settings, job, clock.now)
        clock.advance(seconds=60)
        await eventually(lambda: len(attempts) == 2)
        await asyncio.sleep(0.1)

    assert (failed.last_status, failed.last_error) == (
        "failed",
        "RuntimeError: warehouse unreachable",
    )
    recovered = await health_of(settings, job, clock.now)
    assert (recovered.last_status, recovered.last_error) == ("succeeded", None)


async def test_a_poll_job_drains_its_queue_without_waiting(settings: Settings, unique: str) -> None:
    pending = [5]

    async def work_one(_: JobContext) -> int:
        if pending[0] == 0:
            return 0
        pending[0] -= 1
        return 1

    job = PollJob(f"queue {unique}", every_seconds=60, run=work_one)
    async with running([job], settings, MovableClock(T0)):
        await eventually(lambda: pending[0] == 0, within=2)  # far less than 5 x 60 s
        await asyncio.sleep(0.1)

    health = await health_of(settings, job, T0)
    assert (health.kind, health.every_seconds, health.last_status) == ("poll", 60, "succeeded")


async def test_an_unreachable_database_neither_breaks_start_nor_stop(
    settings: Settings, unique: str, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[datetime] = []
    jobs = [
        CronJob(f"cron {unique}", "* * * * *", recorder(calls)),
        PollJob(f"poll {unique}", 0.05, lambda _: asyncio.sleep(0, 0)),
    ]
    with caplog.at_level(logging.WARNING, logger="watcher_server.jobs.runner"):
        async with running(jobs, settings, MovableClock(T0), "postgresql://w@127.0.0.1:1/nowhere"):
            await asyncio.sleep(0.3)
    assert calls == []
    # An outage is one warning line per job and error, without a traceback, not an ERROR.
    outage = [r for r in caplog.records if r.name == "watcher_server.jobs.runner"]
    assert outage
    assert {(r.levelno, r.exc_info) for r in outage} == {(logging.WARNING, None)}
    assert all("database unavailable" in r.getMessage() for r in outage)
    assert len(outage) == len({r.getMessage() for r in outage})


async def test_a_failing_job_logs_its_traceback_once(
    settings: Settings, unique: str, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(_: JobContext) -> None:
        raise ValueError("a bug")

    with caplog.at_level(logging.WARNING, logger="watcher_server.jobs.runner"):
        async with running([PollJob(f"broken {unique}", 0.02, broken)], settings, MovableClock(T0)):
            await asyncio.sleep(0.2)
    failures = [r for r in caplog.records if r.getMessage() == f"job broken {unique} failed"]
    assert len(failures) == 1
    assert failures[0].levelno == logging.ERROR
    assert failures[0].exc_info is not None
