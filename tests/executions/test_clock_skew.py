"""A caller whose clock is behind the server's reports an end before the start the server
chose: within WATCHER_END_BEFORE_START_TOLERANCE_SECONDS the run ends at its start."""

from datetime import datetime, timedelta

import httpx
import pytest

from tests.conftest import app_client
from tests.executions.test_executions import T0, get_run, iso
from tests.factories import create_pipeline, end_run, get_pipeline, start_run
from watcher_server.settings import Settings


@pytest.fixture
def tolerance(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.watcher_end_before_start_tolerance_seconds)


def api_time(moment: datetime) -> str:
    return iso(moment).replace("+00:00", "Z")


async def test_an_end_a_second_before_a_server_chosen_start_ends_the_run_at_its_start(
    client: httpx.AsyncClient, unique: str
) -> None:
    pipeline_id = await create_pipeline(client, f"skew {unique}", next_watermark="42")
    run = await start_run(client, pipeline_id)  # the server's time
    started = (await get_run(client, run))["start_date"]
    sent = datetime.fromisoformat(started) - timedelta(seconds=1)

    ended = await end_run(client, run, end_date=iso(sent), inserts=3, total_rows=30)

    assert ended.status_code == 204, ended.text
    done = await get_run(client, run)
    assert done["status"] == "succeeded"
    assert (done["end_date"], done["duration_seconds"], done["throughput"]) == (started, 0, None)
    assert done["execution_metadata"] == {"reported_end_date": api_time(sent)}
    pipeline = await get_pipeline(client, pipeline_id)
    assert (pipeline["watermark"], pipeline["last_target_insert"]) == ("42", started)


async def test_metadata_sent_with_an_early_end_is_kept_beside_the_reported_time(
    client: httpx.AsyncClient, unique: str
) -> None:
    pipeline_id = await create_pipeline(client, f"skew metadata {unique}")
    run = await start_run(client, pipeline_id, start_date=iso(T0), execution_metadata={"a": 1})
    sent = T0 - timedelta(milliseconds=250)

    ended = await end_run(client, run, end_date=iso(sent), execution_metadata={"b": 2})

    assert ended.status_code == 204, ended.text
    done = await get_run(client, run)
    assert done["end_date"] == api_time(T0)
    assert done["execution_metadata"] == {"a": 1, "b": 2, "reported_end_date": api_time(sent)}


async def test_the_tolerance_is_inclusive_and_beyond_it_the_end_is_refused(
    client: httpx.AsyncClient, unique: str, tolerance: timedelta
) -> None:
    pipeline_id = await create_pipeline(client, f"skew edge {unique}")
    # (Two bodies: an identical one would answer the first run.)
    at_the_limit = await start_run(client, pipeline_id, start_date=iso(T0), full_load=True)
    beyond = await start_run(client, pipeline_id, start_date=iso(T0), full_load=False)

    accepted = await end_run(client, at_the_limit, end_date=iso(T0 - tolerance))
    refused = await end_run(
        client, beyond, end_date=iso(T0 - tolerance - timedelta(microseconds=1))
    )

    assert accepted.status_code == 204, accepted.text
    assert refused.status_code == 422
    assert refused.json()["message"].startswith("end_date:")
    assert (await get_run(client, beyond))["status"] == "running"


async def test_a_retried_early_end_is_accepted_and_a_different_one_conflicts(
    client: httpx.AsyncClient, unique: str
) -> None:
    pipeline_id = await create_pipeline(client, f"skew retry {unique}", next_watermark="1")
    run = await start_run(client, pipeline_id, start_date=iso(T0))
    end = {"end_date": iso(T0 - timedelta(seconds=2)), "inserts": 5}
    assert (await end_run(client, run, **end)).status_code == 204
    await client.patch("/pipeline", json={"id": pipeline_id, "watermark": "manual"})

    retried = await end_run(client, run, **end)
    at_the_start = await end_run(client, run, **{**end, "end_date": iso(T0)})
    other = await end_run(client, run, **{**end, "end_date": iso(T0 - timedelta(seconds=1))})

    assert (retried.status_code, at_the_start.status_code) == (204, 204)
    assert other.status_code == 409
    assert "end_date" in other.json()["message"]
    assert (await get_pipeline(client, pipeline_id))["watermark"] == "manual"


async def test_a_tolerance_of_zero_refuses_every_end_before_the_start(
    settings: Settings, unique: str
) -> None:
    strict = settings.model_copy(update={"watcher_end_before_start_tolerance_seconds": 0})
    async with app_client(strict) as client:
        pipeline_id = await create_pipeline(client, f"skew strict {unique}")
        run = await start_run(client, pipeline_id, start_date=iso(T0))
        early = await end_run(client, run, end_date=iso(T0 - timedelta(microseconds=1)))
        assert early.status_code == 422
        assert (await end_run(client, run, end_date=iso(T0))).status_code == 204
