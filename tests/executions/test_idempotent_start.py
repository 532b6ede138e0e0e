"""A client that retries a start (after a timeout or a 5xx) must not create a second run."""

import asyncio
from datetime import UTC, datetime

import httpx

from tests.factories import create_pipeline, end_run

START = "/start_pipeline_execution"


async def running_runs(client: httpx.AsyncClient, pipeline_id: int) -> list[int]:
    listed = await client.get("/pipeline_execution", params={"pipeline_id": pipeline_id})
    return [run["id"] for run in listed.json() if run["status"] == "running"]


async def test_an_identical_retry_answers_the_same_run(
    client: httpx.AsyncClient, unique: str
) -> None:
    pipeline_id = await create_pipeline(client, f"retry {unique}")
    body = {"pipeline_id": pipeline_id, "start_date": datetime.now(UTC).isoformat()}

    first = await client.post(START, json=body)
    retry = await client.post(START, json=body)

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    assert "idempotent-replayed" not in first.headers
    assert retry.headers["idempotent-replayed"] == "true"
    assert await running_runs(client, pipeline_id) == [first.json()["id"]]


async def test_concurrent_identical_starts_create_one_run(
    client: httpx.AsyncClient, unique: str
) -> None:
    pipeline_id = await create_pipeline(client, f"burst {unique}")
    body = {"pipeline_id": pipeline_id, "start_date": datetime.now(UTC).isoformat()}
    responses = await asyncio.gather(*(client.post(START, json=body) for _ in range(10)))
    assert {response.status_code for response in responses} == {201}
    assert len({response.json()["id"] for response in responses}) == 1
    assert len(await running_runs(client, pipeline_id)) == 1


async def test_once_ended_the_same_body_starts_a_new_run(
    client: httpx.AsyncClient, unique: str
) -> None:
    """An orchestrator re-running a task may send the same start_date again: that is a new run."""
    pipeline_id = await create_pipeline(client, f"rerun {unique}")
    body = {"pipeline_id": pipeline_id, "start_date": "2026-01-01T00:00:00Z"}
    first = (await client.post(START, json=body)).json()["id"]
    await end_run(client, first, completed_successfully=False)

    second = (await client.post(START, json=body)).json()["id"]

    assert second != first
    assert await running_runs(client, pipeline_id) == [second]


async def test_different_bodies_or_no_start_date_are_different_runs(
    client: httpx.AsyncClient, unique: str
) -> None:
    pipeline_id = await create_pipeline(client, f"distinct {unique}")
    stamp = datetime.now(UTC).isoformat()
    a = await client.post(START, json={"pipeline_id": pipeline_id, "start_date": stamp})
    b = await client.post(
        START, json={"pipeline_id": pipeline_id, "start_date": stamp, "next_watermark": "9"}
    )
    c = await client.post(START, json={"pipeline_id": pipeline_id})
    d = await client.post(START, json={"pipeline_id": pipeline_id})
    assert len({r.json()["id"] for r in (a, b, c, d)}) == 4


async def test_an_explicit_key_identifies_the_run_even_after_it_ended(
    client: httpx.AsyncClient, unique: str
) -> None:
    pipeline_id = await create_pipeline(client, f"keyed {unique}")
    # A key that only looks like Watcher's own automatic ones (they start with "auto:").
    headers = {"Idempotency-Key": f"AUTO:run-{unique}"}
    first = await client.post(START, json={"pipeline_id": pipeline_id}, headers=headers)
    await end_run(client, first.json()["id"])
    again = await client.post(START, json={"pipeline_id": pipeline_id}, headers=headers)
    by_body = await client.post(
        START, json={"pipeline_id": pipeline_id, "idempotency_key": f"AUTO:run-{unique}"}
    )
    assert again.json() == by_body.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"

    other = await create_pipeline(client, f"keyed other {unique}")
    elsewhere = await client.post(START, json={"pipeline_id": other}, headers=headers)
    assert elsewhere.json() != first.json()  # keys are per pipeline
