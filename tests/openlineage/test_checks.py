"""Timeliness and freshness watch OpenLineage pipelines like any other."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.clock import MovableClock
from tests.conftest import app_client
from tests.monitoring.test_timeliness import alerts_of
from tests.openlineage.events import dataset, new_run_id, run_event, send
from watcher_server.settings import Settings


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
async def http(settings: Settings, clock: MovableClock) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(settings, clock=clock) as client:
        yield client


def at(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def set_threshold(http: httpx.AsyncClient, pipeline_id: int, check: str) -> None:
    body = {"id": pipeline_id, f"{check}_number": 1, f"{check}_datepart": "hour"}
    response = await http.patch("/pipeline", json=body)
    assert response.status_code == 200, response.text


async def test_a_run_started_by_openlineage_and_overdue_is_alerted(
    http: httpx.AsyncClient, clock: MovableClock, unique: str
) -> None:
    started = clock.now - timedelta(hours=3)
    out = await send(http, run_event("START", new_run_id(), f"slow_{unique}", at=at(started)))
    await set_threshold(http, out["pipeline_id"], "timeliness")

    report = (await http.post("/timeliness", json={"lookback_minutes": 600})).json()

    assert out["execution_id"] in {item["pipeline_execution_id"] for item in report["items"]}
    [alert] = await alerts_of(http, out["pipeline_id"], "timeliness.overdue")
    assert alert["subject"] == f"pipeline_execution:{out['execution_id']}"


async def test_an_openlineage_pipeline_whose_outputs_are_stale_is_alerted(
    http: httpx.AsyncClient, clock: MovableClock, unique: str
) -> None:
    job, outputs = f"stale_{unique}", [dataset(f"db.s.stale_{unique}")]
    loaded = clock.now - timedelta(hours=3)
    out = await send(http, run_event("COMPLETE", new_run_id(), job, at=at(loaded), outputs=outputs))
    await set_threshold(http, out["pipeline_id"], "freshness")

    stale = (await http.post("/freshness")).json()
    await send(http, run_event("COMPLETE", new_run_id(), job, at=at(clock.now), outputs=outputs))
    fresh = (await http.post("/freshness")).json()

    assert out["pipeline_id"] in {item["pipeline_id"] for item in stale["items"]}
    assert out["pipeline_id"] in {item["pipeline_id"] for item in fresh["resolved"]}
    assert len(await alerts_of(http, out["pipeline_id"], "freshness.stale")) == 1
