"""POST /timeliness: overdue runs are found, logged once and alerted once."""

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.clock import MovableClock
from tests.conftest import app_client, fresh_database
from tests.factories import create_pipeline, end_run, start_run
from watcher_server.db import migrate
from watcher_server.settings import Settings


def iso(moment: datetime) -> str:
    return moment.isoformat()


async def check(http: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    response = await http.post("/timeliness", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def items_of(report: dict[str, Any], pipeline_id: int) -> dict[int, dict[str, Any]]:
    return {
        item["pipeline_execution_id"]: item
        for item in report["items"]
        if item["pipeline_id"] == pipeline_id
    }


async def alerts_of(http: httpx.AsyncClient, pipeline_id: int, kind: str) -> list[dict]:
    response = await http.get("/alert", params={"pipeline_id": pipeline_id, "kind": kind})
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_run_still_going_is_overdue_whatever_its_start(
    http: httpx.AsyncClient, clock: MovableClock, unique: str
) -> None:
    pipeline_id = await create_pipeline(
        http, f"hung {unique}", timeliness_number=1, timeliness_datepart="hour"
    )
    started = clock.now - timedelta(days=3)  # long before the 60-minute lookback
    run = await start_run(http, pipeline_id, start_date=iso(started))

    first = await check(http, lookback_minutes=60)

    assert first["status"] == "warning"
    item = items_of(first, pipeline_id)[run]
    assert item["execution_status"] == "running"
    assert item["duration_seconds"] == 3 * 86400
    assert item["seconds_threshold"] == 3600
    assert item["deadline_at"] == iso(started + timedelta(hours=1)).replace("+00:00", "Z")
    assert item["threshold"] == {
        "number": 1,
        "datepart": "hour",
        "config_level": "pipeline",
        "used_child_config": True,
    }
    assert item["new"] is True

    clock.advance(minutes=15)
    assert items_of(await check(http), pipeline_id)[run]["new"] is False
    assert (await end_run(http, run)).status_code == 204
    finished = items_of(await check(http), pipeline_id)[run]
    assert (finished["execution_status"], finished["new"]) == ("completed", False)

    logs = await http.get("/timeliness_pipeline_execution_log", params={"pipeline_id": pipeline_id})
    assert [(log["pipeline_execution_id"], log["execution_status"]) for log in logs.json()] == [
        (run, "running")
    ]
    [alert] = await alerts_of(http, pipeline_id, "timeliness.overdue")
    assert alert["subject"] == f"pipeline_execution:{run}"
    assert f"Execution ID: {run}" in alert["details"]["Failed Executions"]


async def test_finished_runs_are_judged_on_their_own_duration(
    http: httpx.AsyncClient, clock: MovableClock, unique: str
) -> None:
    pipeline_id = await create_pipeline(
        http, f"finished {unique}", timeliness_number=30, timeliness_datepart="minute"
    )
    now = clock.now

    async def run(start: timedelta, end: timedelta, succeeded: bool = True) -> int:
        execution = await start_run(http, pipeline_id, start_date=iso(now - start))
        ended = await end_run(
            http, execution, end_date=iso(now - end), completed_successfully=succeeded
        )
        assert ended.status_code == 204
        return execution

    slow = await run(timedelta(hours=2), timedelta(minutes=30))
    await run(timedelta(minutes=20), timedelta(minutes=10))  # quick
    await run(timedelta(hours=2), timedelta(minutes=10), succeeded=False)  # failed: not judged
    await run(timedelta(hours=5), timedelta(hours=3))  # ended before the lookback window
    await run(timedelta(minutes=40), timedelta(minutes=10))  # exactly on its deadline

    found = items_of(await check(http, lookback_minutes=60), pipeline_id)

    assert list(found) == [slow]
    assert found[slow]["execution_status"] == "completed"
    assert found[slow]["duration_seconds"] == 90 * 60


async def test_thresholds_fall_back_to_the_type_and_mutes_exclude(
    http: httpx.AsyncClient, clock: MovableClock, unique: str
) -> None:
    type_name, muted_type = f"ten minutes {unique}", f"muted {unique}"
    ten_minutes = {"timeliness_number": 10, "timeliness_datepart": "minute"}
    response = await http.post("/pipeline_type", json={"name": type_name, **ten_minutes})
    assert response.status_code == 201
    response = await http.post(
        "/pipeline_type", json={"name": muted_type, "mute_timeliness_check": True, **ten_minutes}
    )
    assert response.status_code == 201

    async def pipeline(name: str, type_: str, **fields: Any) -> int:
        pipeline_id = await create_pipeline(
            http, f"{name} {unique}", pipeline_type_name=type_, **fields
        )
        await start_run(http, pipeline_id, start_date=iso(clock.now - timedelta(hours=1)))
        return pipeline_id

    inherits = await pipeline("inherits", type_name)
    own_day = await pipeline("own day", type_name, timeliness_number=1, timeliness_datepart="day")
    muted = await pipeline("muted", type_name)
    under_muted_type = await pipeline("under muted", muted_type, **ten_minutes)
    inactive = await pipeline("inactive", type_name, **ten_minutes)
    no_threshold = await pipeline("none", f"plain {unique}")
    for pipeline_id, change in (
        (muted, {"mute_timeliness_check": True}),
        (inactive, {"active": False}),
    ):
        assert (
            await http.patch("/pipeline", json={"id": pipeline_id, **change})
        ).status_code == 200

    report = await check(http)

    flagged = {item["pipeline_id"]: item for item in report["items"]}
    assert flagged[inherits]["threshold"]["config_level"] == "pipeline_type"
    assert flagged[inherits]["threshold"]["used_child_config"] is False
    for excluded in (own_day, muted, under_muted_type, inactive, no_threshold):
        assert excluded not in flagged


async def test_months_are_calendar_months(
    http: httpx.AsyncClient, clock: MovableClock, unique: str
) -> None:
    pipeline_id = await create_pipeline(
        http, f"monthly {unique}", timeliness_number=1, timeliness_datepart="month"
    )
    start = datetime(2026, 1, 31, 10, 0, tzinfo=UTC)  # one month later: February 28, 10:00
    running = await start_run(http, pipeline_id, start_date=iso(start))

    clock.now = datetime(2026, 2, 28, 9, 59, tzinfo=UTC)
    assert list(items_of(await check(http), pipeline_id)) == []

    clock.now = datetime(2026, 2, 28, 10, 1, tzinfo=UTC)
    # Same start time as the running one: a key tells Watcher it is another run, not a retry.
    finished = await start_run(
        http, pipeline_id, start_date=iso(start), idempotency_key=f"second {unique}"
    )
    ended = await end_run(
        http, finished, end_date=iso(datetime(2026, 2, 28, 10, 0, 30, tzinfo=UTC))
    )
    assert ended.status_code == 204
    found = items_of(await check(http), pipeline_id)
    assert sorted(found) == sorted([running, finished])
    assert found[finished]["execution_status"] == "completed"


@pytest.mark.parametrize(
    "body", [{"lookback_minutes": 4}, {"lookback_minutes": "soon"}, {"lookback_minutes": 10**9}]
)
async def test_bad_lookback_is_rejected(http: httpx.AsyncClient, body: dict) -> None:
    response = await http.post("/timeliness", json=body)
    assert response.status_code == 422
    assert "lookback_minutes" in response.json()["message"]


async def test_lookback_defaults_to_an_hour(http: httpx.AsyncClient) -> None:
    for response in (await http.post("/timeliness"), await http.post("/timeliness", json={})):
        assert response.status_code == 200
        assert response.json()["lookback_minutes"] == 60


async def test_concurrent_checks_log_and_alert_a_run_once(
    settings: Settings, clock: MovableClock, unique: str
) -> None:
    async with app_client(settings, clock=clock) as one, app_client(settings, clock=clock) as two:
        pipeline_id = await create_pipeline(
            one, f"race {unique}", timeliness_number=5, timeliness_datepart="minute"
        )
        run = await start_run(one, pipeline_id, start_date=iso(clock.now - timedelta(hours=1)))

        responses = await asyncio.gather(*(http.post("/timeliness") for http in (one, two) * 3))

        news = [items_of(response.json(), pipeline_id)[run]["new"] for response in responses]
        assert sorted(news) == [False] * 5 + [True]
        assert len(await alerts_of(one, pipeline_id, "timeliness.overdue")) == 1


@pytest.fixture
def own_database(tmp_path: Path) -> Iterator[str]:
    """A migrated database holding only what the test creates."""
    with fresh_database(tmp_path) as url:
        migrate.upgrade(url)
        yield url


async def test_a_short_threshold_of_its_own_counts_when_every_type_allows_a_week(
    own_database: str, clock: MovableClock
) -> None:
    # The check skips, before any join, runs shorter than the shortest threshold in use: a
    # pipeline's own threshold must count towards it, not only its type's.
    settings = Settings(_env_file=None, database_url=own_database, watcher_background_jobs=False)
    async with app_client(settings, clock=clock) as http:
        week = {"timeliness_number": 1, "timeliness_datepart": "week"}
        assert (
            await http.post("/pipeline_type", json={"name": "weekly", **week})
        ).status_code == 201
        inherits = await create_pipeline(http, "inherits a week", pipeline_type_name="weekly")
        own = await create_pipeline(
            http,
            "ten minutes",
            pipeline_type_name="weekly",
            timeliness_number=10,
            timeliness_datepart="minute",
        )
        runs = {}
        for pipeline_id in (inherits, own):
            runs[pipeline_id] = await start_run(
                http, pipeline_id, start_date=iso(clock.now - timedelta(minutes=30))
            )
            ended = await end_run(http, runs[pipeline_id], end_date=iso(clock.now))
            assert ended.status_code == 204

        report = await check(http)

    assert [item["pipeline_execution_id"] for item in report["items"]] == [runs[own]]
