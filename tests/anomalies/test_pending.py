"""The end call queues detection in its own commit; the job does it, even after a crash."""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select

from tests.anomalies.conftest import (
    NORMAL_INSERTS,
    TODAY,
    add_rule,
    anomaly_alerts,
    daily_history,
    flags_of,
    ruled_pipeline,
    run,
)
from tests.conftest import app_client
from tests.factories import create_pipeline
from watcher_server.anomalies.jobs import detect_pending, process_pending
from watcher_server.anomalies.service import detect_executions
from watcher_server.clock import utcnow
from watcher_server.db import Database
from watcher_server.jobs.runner import JobRunner
from watcher_server.jobs.spec import PollJob
from watcher_server.models import AnomalyDetectionPending
from watcher_server.settings import Settings

pending = AnomalyDetectionPending.__table__


async def queued(settings: Settings, execution_ids: list[int]) -> set[int]:
    """Which of these executions wait for detection."""
    database = Database(settings.database_url, pool_size=1)
    try:
        async with database.transaction() as conn:
            statement = select(pending.c.pipeline_execution_id).where(
                pending.c.pipeline_execution_id.in_(execution_ids)
            )
            return set((await conn.execute(statement)).scalars())
    finally:
        await database.dispose()


async def eventually(condition: Callable[[], object], within: float = 5.0) -> None:
    async with asyncio.timeout(within):
        while not await condition():  # noqa: ASYNC110 - the runner's tasks change it
            await asyncio.sleep(0.05)


async def test_only_successful_runs_of_pipelines_with_active_rules_are_queued(
    settings: Settings, client: httpx.AsyncClient, unique: str
) -> None:
    ruled = await ruled_pipeline(client, f"queued {unique}", "inserts")
    unruled = await create_pipeline(client, f"not queued {unique}")
    inactive = await create_pipeline(client, f"inactive rule {unique}")
    await add_rule(client, inactive, "inserts", active=False)
    ids = [await run(client, pipeline, TODAY, inserts=1) for pipeline in (ruled, unruled, inactive)]
    failed = await client.post("/start_pipeline_execution", json={"pipeline_id": ruled})
    ended = await client.post(
        "/end_pipeline_execution",
        json={"id": failed.json()["id"], "completed_successfully": False},
    )
    assert ended.status_code == 204
    # A repeated end (a client retry) queues nothing more.
    retry = await client.post("/end_pipeline_execution", json={"id": ids[0], "inserts": 1})
    assert retry.status_code == 204
    assert await queued(settings, [*ids, failed.json()["id"]]) == {ids[0]}


async def test_a_queued_run_left_by_a_crash_is_tested_when_the_runner_starts(
    settings: Settings, client: httpx.AsyncClient, unique: str
) -> None:
    # The session's app runs no jobs: as if the process died right after each end call.
    pipeline_id = await ruled_pipeline(client, f"crash {unique}", "inserts")
    await daily_history(client, pipeline_id, NORMAL_INSERTS)
    spike = await run(client, pipeline_id, TODAY, inserts=5000)
    assert await queued(settings, [spike]) == {spike}
    assert await flags_of(client, spike) is None

    database = Database(settings.database_url, pool_size=2)
    job = PollJob("anomaly_detection", 0.05, detect_pending)
    runner = JobRunner([job], database, settings, utcnow, tick_seconds=0.02)
    await runner.start()
    try:
        await eventually(lambda: _flagged(client, spike))
    finally:
        await runner.stop()
        await database.dispose()
    assert await queued(settings, [spike]) == set()
    assert len(await anomaly_alerts(client, pipeline_id)) == 1


async def _flagged(client: httpx.AsyncClient, execution_id: int) -> bool:
    return await flags_of(client, execution_id) is not None


async def test_findings_arrive_within_seconds_of_the_end_call(
    settings: Settings, unique: str
) -> None:
    live = settings.model_copy(
        update={
            "watcher_background_jobs": True,
            "watcher_anomaly_detection_poll_seconds": 0.2,
            "watcher_timeliness_check_schedule": None,
            "watcher_freshness_check_schedule": None,
        }
    )
    async with app_client(live) as http:
        pipeline_id = await ruled_pipeline(http, f"live {unique}", "inserts")
        await daily_history(http, pipeline_id, NORMAL_INSERTS)
        started = datetime.now(UTC)
        spike = await run(http, pipeline_id, TODAY, inserts=7000)
        await eventually(lambda: _flagged(http, spike), within=5)
        elapsed = datetime.now(UTC) - started
    assert elapsed < timedelta(seconds=5)
    assert await queued(settings, [spike]) == set()


async def test_a_failing_detection_is_retried_later_without_blocking_others(
    settings: Settings, client: httpx.AsyncClient, unique: str
) -> None:
    """An execution whose detection keeps failing backs off; the rest of the queue goes on."""
    pipeline_id = await ruled_pipeline(client, f"poison {unique}", "inserts")
    await daily_history(client, pipeline_id, NORMAL_INSERTS)
    poison = await run(client, pipeline_id, TODAY, inserts=5000)
    healthy = await run(client, pipeline_id, TODAY + timedelta(hours=1), inserts=6000)

    async def failing(conn, execution_ids, now):
        if poison in execution_ids:
            raise RuntimeError("boom")
        return await detect_executions(conn, execution_ids, now)

    database = Database(settings.database_url, pool_size=2)
    try:
        done = await process_pending(database, datetime.now(UTC), 10_000, detect=failing)
    finally:
        await database.dispose()
    assert done >= 1
    assert await flags_of(client, healthy) == {"inserts": True}
    assert await queued(settings, [poison, healthy]) == {poison}
    retry_at = await _retry_at(settings, poison)
    assert retry_at > datetime.now(UTC)  # backs off instead of failing every poll


async def _retry_at(settings: Settings, execution_id: int) -> datetime:
    database = Database(settings.database_url, pool_size=1)
    try:
        async with database.transaction() as conn:
            statement = select(pending.c.next_attempt_at, pending.c.attempts, pending.c.last_error)
            row = (
                await conn.execute(statement.where(pending.c.pipeline_execution_id == execution_id))
            ).one()
    finally:
        await database.dispose()
    assert (row.attempts, row.last_error) == (1, "boom")
    return row.next_attempt_at


async def test_one_batch_tests_runs_of_many_pipelines_each_against_its_own_history(
    client: httpx.AsyncClient, unique: str, detector
) -> None:
    quiet = await ruled_pipeline(client, f"batch quiet {unique}", "inserts")
    busy = await ruled_pipeline(client, f"batch busy {unique}", "inserts", "duration_seconds")
    hourly = await ruled_pipeline(
        client, f"batch hourly {unique}", "inserts", seasonality="hour_of_day"
    )
    await daily_history(client, quiet, NORMAL_INSERTS)
    await daily_history(client, busy, [value * 1000 for value in NORMAL_INSERTS])
    await daily_history(client, hourly, NORMAL_INSERTS)
    seasonal_spike = await run(client, hourly, TODAY, inserts=100_000)
    # 100,000 rows: normal for the busy pipeline, a spike for the quiet one; and the reverse.
    spike = await run(client, quiet, TODAY, inserts=100_000)
    drop = await run(client, busy, TODAY, inserts=100, seconds=61)
    normal = await run(client, busy, TODAY + timedelta(hours=1), inserts=100_000, seconds=61)
    # Judged after the spike was flagged, in the same batch: the spike is not its baseline.
    again = await run(client, quiet, TODAY + timedelta(hours=1), inserts=90_000)
    assert await detector() >= 5
    assert await flags_of(client, seasonal_spike) == {"inserts": True}
    assert await flags_of(client, spike) == {"inserts": True}
    assert await flags_of(client, again) == {"inserts": True}
    assert await flags_of(client, drop) == {"inserts": True}
    assert await flags_of(client, normal) is None
    assert len(await anomaly_alerts(client, quiet)) == 2
    [alert] = await anomaly_alerts(client, busy)
    assert alert["subject"] == f"pipeline_execution:{drop}"
