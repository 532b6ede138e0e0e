"""POST /freshness: one alert per stale episode, one "resolved" alert when fresh again."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.clock import MovableClock
from tests.conftest import app_client
from tests.factories import create_pipeline, end_run, start_run
from tests.monitoring.test_timeliness import alerts_of, iso
from watcher_server.settings import Settings

HOURLY = {"freshness_number": 1, "freshness_datepart": "hour"}


async def check(http: httpx.AsyncClient) -> dict[str, Any]:
    response = await http.post("/freshness")
    assert response.status_code == 200, response.text
    return response.json()


def stale_item(report: dict[str, Any], pipeline_id: int) -> dict[str, Any] | None:
    found = [item for item in report["items"] if item["pipeline_id"] == pipeline_id]
    return found[0] if found else None


def resolved_ids(report: dict[str, Any]) -> list[int]:
    return [item["pipeline_id"] for item in report["resolved"]]


async def load(http: httpx.AsyncClient, pipeline_id: int, at: datetime, **counts: int) -> None:
    run = await start_run(http, pipeline_id, start_date=iso(at - timedelta(minutes=5)))
    assert (await end_run(http, run, end_date=iso(at), **counts)).status_code == 204


async def test_a_stale_pipeline_alerts_once_and_once_more_when_fresh_again(
    http: httpx.AsyncClient, clock: MovableClock, unique: str
) -> None:
    pipeline_id = await create_pipeline(http, f"hourly {unique}", **HOURLY)
    loaded_at = clock.now
    await load(http, pipeline_id, loaded_at, inserts=5)

    clock.advance(minutes=30)
    assert stale_item(await check(http), pipeline_id) is None

    clock.advance(hours=1)
    stale = stale_item(await check(http), pipeline_id)
    assert stale is not None
    assert stale["new"] is True
    assert stale["last_dml_timestamp"] == iso(loaded_at).replace("+00:00", "Z")
    assert stale["deadline_at"] == iso(loaded_at + timedelta(hours=1)).replace("+00:00", "Z")
    assert stale["threshold"]["config_level"] == "pipeline"

    clock.advance(hours=1)
    report = await check(http)
    assert report["status"] == "warning"
    assert stale_item(report, pipeline_id)["new"] is False
    assert len(await alerts_of(http, pipeline_id, "freshness.stale")) == 1

    await load(http, pipeline_id, clock.now, updates=1)
    report = await check(http)
    assert stale_item(report, pipeline_id) is None
    assert resolved_ids(report).count(pipeline_id) == 1
    assert pipeline_id not in resolved_ids(await check(http))  # said once
    [resolved] = await alerts_of(http, pipeline_id, "freshness.resolved")
    assert resolved["level"] == "success"
    [episode] = (
        await http.get("/freshness_pipeline_log", params={"pipeline_id": pipeline_id})
    ).json()
    assert episode["resolved_at"] == iso(clock.now).replace("+00:00", "Z")

    clock.advance(hours=2)  # stale again after the new load: a new episode
    assert stale_item(await check(http), pipeline_id)["new"] is True
    assert len(await alerts_of(http, pipeline_id, "freshness.stale")) == 2


async def test_a_pipeline_that_never_loaded_goes_stale_from_its_creation(
    http: httpx.AsyncClient, clock: MovableClock, unique: str
) -> None:
    created_at = clock.now
    pipeline_id = await create_pipeline(
        http, f"never {unique}", freshness_number=1, freshness_datepart="day"
    )
    await load(http, pipeline_id, clock.now, inserts=0)  # a run that wrote nothing is no load

    clock.advance(hours=23)
    assert stale_item(await check(http), pipeline_id) is None
    clock.now = created_at + timedelta(days=1, seconds=1)
    stale = stale_item(await check(http), pipeline_id)

    assert stale is not None
    assert stale["last_dml_timestamp"] is None
    assert stale["measured_from"] == iso(created_at).replace("+00:00", "Z")
    assert stale["new"] is True
    [alert] = await alerts_of(http, pipeline_id, "freshness.stale")
    assert "never loaded data" in alert["message"]


async def test_thresholds_fall_back_to_the_type_and_mutes_exclude(
    http: httpx.AsyncClient, clock: MovableClock, unique: str
) -> None:
    hourly_type, muted_type = f"hourly {unique}", f"muted {unique}"
    for body in (
        {"name": hourly_type, **HOURLY},
        {"name": muted_type, "mute_freshness_check": True},
    ):
        assert (await http.post("/pipeline_type", json=body)).status_code == 201

    async def pipeline(name: str, type_: str, **fields: Any) -> int:
        return await create_pipeline(http, f"{name} {unique}", pipeline_type_name=type_, **fields)

    inherits = await pipeline("inherits", hourly_type)
    own_week = await pipeline("weekly", hourly_type, freshness_number=1, freshness_datepart="week")
    muted = await pipeline("muted", hourly_type)
    under_muted_type = await pipeline("under muted", muted_type, **HOURLY)
    inactive = await pipeline("inactive", hourly_type)
    for pipeline_id, change in (
        (muted, {"mute_freshness_check": True}),
        (inactive, {"active": False}),
    ):
        assert (
            await http.patch("/pipeline", json={"id": pipeline_id, **change})
        ).status_code == 200

    clock.advance(hours=2)
    report = await check(http)

    assert stale_item(report, inherits)["threshold"]["config_level"] == "pipeline_type"
    for excluded in (own_week, muted, under_muted_type, inactive):
        assert stale_item(report, excluded) is None


async def test_months_are_calendar_months(
    http: httpx.AsyncClient, clock: MovableClock, unique: str
) -> None:
    pipeline_id = await create_pipeline(
        http, f"monthly {unique}", freshness_number=1, freshness_datepart="month"
    )
    await load(http, pipeline_id, datetime(2026, 1, 31, 10, 0, tzinfo=UTC), inserts=1)

    clock.now = datetime(2026, 2, 28, 10, 0, tzinfo=UTC)  # the deadline itself: not yet stale
    assert stale_item(await check(http), pipeline_id) is None
    clock.now = datetime(2026, 2, 28, 10, 0, 1, tzinfo=UTC)
    assert stale_item(await check(http), pipeline_id) is not None


async def test_concurrent_checks_open_an_episode_once(
    settings: Settings, clock: MovableClock, unique: str
) -> None:
    async with app_client(settings, clock=clock) as one, app_client(settings, clock=clock) as two:
        pipeline_id = await create_pipeline(one, f"race {unique}", **HOURLY)
        clock.advance(hours=2)

        responses = await asyncio.gather(*(http.post("/freshness") for http in (one, two) * 3))

        news = [stale_item(response.json(), pipeline_id)["new"] for response in responses]
        assert sorted(news) == [False] * 5 + [True]
        assert len(await alerts_of(one, pipeline_id, "freshness.stale")) == 1
