from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.factories import create_pipeline, end_run, start_run
from watcher_server.anomalies.jobs import process_pending
from watcher_server.db import Database
from watcher_server.settings import Settings

# Runs happen at 02:00 UTC on the days before "today", the latest 02:00 at least two hours
# ago: a test may end a run at the current time, which must not come before its start.
TODAY = (datetime.now(UTC) - timedelta(hours=3)).replace(hour=2, minute=0, second=0, microsecond=0)


async def add_rule(client: httpx.AsyncClient, pipeline_id: int, metric: str, **fields: Any) -> int:
    body = {"pipeline_id": pipeline_id, "metric_field": metric, "minimum_executions": 5, **fields}
    response = await client.post("/anomaly_detection_rule", json=body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def run(
    client: httpx.AsyncClient, pipeline_id: int, start: datetime, seconds: float = 60, **counts: Any
) -> int:
    """A successful run that started at `start` and took `seconds`."""
    execution_id = await start_run(client, pipeline_id, start_date=start.isoformat())
    end = start + timedelta(seconds=seconds)
    response = await end_run(client, execution_id, end_date=end.isoformat(), **counts)
    assert response.status_code == 204, response.text
    return execution_id


async def daily_history(
    client: httpx.AsyncClient, pipeline_id: int, inserts: Sequence[int], days_ago: int = 1
) -> list[int]:
    """One run a day ending `days_ago` days ago (the last value is the most recent run)."""
    first = TODAY - timedelta(days=days_ago + len(inserts) - 1)
    return [
        await run(
            client,
            pipeline_id,
            first + timedelta(days=day),
            60 + day % 3,
            inserts=value,
            total_rows=value,
        )
        for day, value in enumerate(inserts)
    ]


NORMAL_INSERTS = [100, 104, 97, 101, 99, 103, 96, 100, 102, 98]


async def ruled_pipeline(client: httpx.AsyncClient, name: str, *metrics: str, **rule: Any) -> int:
    pipeline_id = await create_pipeline(client, name)
    for metric in metrics:
        await add_rule(client, pipeline_id, metric, **rule)
    return pipeline_id


async def detect(client: httpx.AsyncClient, pipeline_id: int) -> dict[str, Any]:
    response = await client.post(f"/anomaly_detection/detect/{pipeline_id}")
    assert response.status_code == 200, response.text
    return response.json()


def outcome_of(detection: dict[str, Any], metric: str) -> dict[str, Any]:
    [outcome] = [o for o in detection["outcomes"] if o["metric_field"] == metric]
    return outcome


async def flags_of(client: httpx.AsyncClient, execution_id: int) -> dict[str, bool] | None:
    response = await client.get(f"/pipeline_execution/{execution_id}")
    assert response.status_code == 200, response.text
    return response.json()["anomaly_flags"]


async def anomaly_alerts(client: httpx.AsyncClient, pipeline_id: int) -> list[dict[str, Any]]:
    response = await client.get(
        "/alert", params={"pipeline_id": pipeline_id, "kind": "anomaly.detected"}
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
async def detector(settings: Settings) -> AsyncIterator[Callable[[], Awaitable[int]]]:
    """Runs the detection job's work once, as the runner would: every queued execution."""
    database = Database(settings.database_url, pool_size=2)

    async def process() -> int:
        return await process_pending(database, datetime.now(UTC), 10_000)

    try:
        yield process
    finally:
        await database.dispose()
