"""Helpers for cleanup tests: a stretch of time per test, and runs built through the API.

Cleanup deletes every old run in the database, not only this test's. So each test gets an era
of its own, earlier than every era handed out before it (and than any other test's data): its
cutoff then falls before everything other tests left behind, and its counts are exact.
"""

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import app_client
from tests.factories import end_run, start_run
from watcher_server.settings import Settings

RETENTION_DAYS = 90
_era_numbers = itertools.count()


@dataclass(frozen=True)
class Era:
    now: datetime

    @property
    def cutoff(self) -> datetime:
        return self.now - timedelta(days=RETENTION_DAYS)

    def old(self, minutes: int = 0) -> datetime:
        """A time well before the cutoff."""
        return self.cutoff - timedelta(days=30) + timedelta(minutes=minutes)

    def young(self, minutes: int = 0) -> datetime:
        """A time after the cutoff."""
        return self.cutoff + timedelta(days=30) + timedelta(minutes=minutes)


def new_era() -> Era:
    return Era(datetime(1900, 7, 1, 12, tzinfo=UTC) - timedelta(days=400 * next(_era_numbers)))


@pytest.fixture
def era() -> Era:
    return new_era()


async def run(
    client: httpx.AsyncClient,
    pipeline_id: int,
    started: datetime,
    *,
    parent: int | None = None,
    finished: bool = True,
    **end_fields: Any,
) -> int:
    """A run that started at `started` (nested under `parent`), ended a minute later if finished."""
    fields: dict[str, Any] = {"start_date": started.isoformat()}
    if parent is not None:
        fields["parent_id"] = parent
    run_id = await start_run(client, pipeline_id, **fields)
    if finished:
        ended = started + timedelta(minutes=1)
        response = await end_run(client, run_id, end_date=ended.isoformat(), **end_fields)
        assert response.status_code == 204, response.text
    return run_id


async def overdue_run(
    settings: Settings, pipeline_id: int, started: datetime, ended: datetime | None
) -> int:
    """A run of a pipeline with a one-minute timeliness threshold, found overdue by a check five
    minutes after it started (its timeliness log row is written then); it ends at `ended`, or
    is still going."""
    async with app_client(settings, clock=lambda: started + timedelta(minutes=5)) as then:
        run_id = await run(then, pipeline_id, started, finished=False)
        report = await then.post("/timeliness", json={"lookback_minutes": 60})
        assert run_id in [item["pipeline_execution_id"] for item in report.json()["items"]]
        if ended is not None:
            response = await end_run(then, run_id, end_date=ended.isoformat())
            assert response.status_code == 204, response.text
    return run_id


async def status_of(client: httpx.AsyncClient, run_id: int) -> int:
    return (await client.get(f"/pipeline_execution/{run_id}")).status_code


async def surviving(client: httpx.AsyncClient, run_ids: list[int]) -> set[int]:
    return {run_id for run_id in run_ids if await status_of(client, run_id) == 200}


async def log_cleanup(settings: Settings, now: datetime, **body: Any) -> dict[str, Any]:
    """POST /log_cleanup to an app whose clock says `now`; the answer's body."""
    async with app_client(settings, clock=lambda: now) as http:
        response = await http.post("/log_cleanup", json={"retention_days": RETENTION_DAYS, **body})
    assert response.status_code == 200, response.text
    return response.json()
