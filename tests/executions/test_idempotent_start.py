"""A client that retries a start (after a timeout or a 5xx) must not create a second run."""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy.util import await_only

from tests.factories import create_pipeline, end_run, start_run
from tests.races import Step, listening
from watcher_server.executions.service import START_ATTEMPTS

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


async def test_a_key_in_the_automatic_keys_namespace_is_refused(
    client: httpx.AsyncClient, unique: str
) -> None:
    pipeline_id = await create_pipeline(client, f"reserved key {unique}")
    by_header = await client.post(
        START, json={"pipeline_id": pipeline_id}, headers={"Idempotency-Key": f"auto:{unique}"}
    )
    by_body = await client.post(
        START, json={"pipeline_id": pipeline_id, "idempotency_key": f"auto:{unique}"}
    )
    assert (by_header.status_code, by_body.status_code) == (422, 422)
    assert by_header.json()["message"].startswith("Idempotency-Key: ")
    assert by_body.json()["message"].startswith("idempotency_key: ")
    runs = await client.get("/pipeline_execution", params={"pipeline_id": pipeline_id})
    assert runs.json() == []


@contextmanager
def around_run_inserts(database: Any, before: list[Step], after: list[Step]) -> Iterator[None]:
    """Around each INSERT of a run that `database` sends, await the next step of `before`
    (just before it) and of `after` (just after it, before the statement that follows).

    The steps go through another app, so its writes commit between two statements of the
    request under test: an interleaving that load only produces now and then. Unlike
    tests.races.interleaved this holds on SQLite too: each statement of a start commits alone,
    so no write lock is held between them."""

    def step(steps: list[Step], statement: str) -> None:
        if steps and statement.lstrip().upper().startswith("INSERT INTO PIPELINE_EXECUTION"):
            await_only(steps.pop(0)())

    def before_insert(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        step(before, statement)

    def after_insert(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        step(after, statement)

    engine = database.engine.sync_engine
    with listening(engine, before_cursor_execute=before_insert, after_cursor_execute=after_insert):
        yield


async def test_a_start_whose_run_ends_before_its_lookup_starts_a_new_run(
    client: httpx.AsyncClient, own_app: tuple[httpx.AsyncClient, Any], unique: str
) -> None:
    """The start's insert meets the running run's key; that run ends (releasing the key)
    before the start looks it up: the start inserts again, a new run."""
    starter, database = own_app
    pipeline_id = await create_pipeline(client, f"released {unique}")
    body = {"pipeline_id": pipeline_id, "start_date": "2025-06-01T12:00:00+00:00"}
    first = await start_run(client, **body)

    with around_run_inserts(database, before=[], after=[lambda: end_run(client, first)]):
        again = await starter.post(START, json=body)

    assert again.status_code == 201, again.text
    assert again.json()["id"] != first
    assert "idempotent-replayed" not in again.headers
    assert await running_runs(client, pipeline_id) == [again.json()["id"]]


async def test_a_start_gives_up_with_409_when_its_key_keeps_being_released(
    client: httpx.AsyncClient, own_app: tuple[httpx.AsyncClient, Any], unique: str
) -> None:
    starter, database = own_app
    pipeline_id = await create_pipeline(client, f"churn {unique}")
    body = {"pipeline_id": pipeline_id, "start_date": "2025-06-01T12:00:00+00:00"}
    started: list[int] = []

    async def start() -> None:
        started.append(await start_run(client, **body))

    async def end() -> None:
        assert (await end_run(client, started[-1])).status_code == 204

    # Before each attempt's insert another caller starts the same run; after it, ends it.
    churn = {"before": [start] * START_ATTEMPTS, "after": [end] * START_ATTEMPTS}
    with around_run_inserts(database, **churn):
        refused = await starter.post(START, json=body)

    assert refused.status_code == 409, refused.text
    assert "retry" in refused.json()["message"]
    assert await running_runs(client, pipeline_id) == []


async def test_concurrent_identical_start_and_end_cycles_all_succeed(
    client: httpx.AsyncClient, unique: str
) -> None:
    """Callers that each start a run and end the run they were answered, with bodies
    identical to other callers': every call is a 2xx, whichever run it lands on."""
    pipelines = [await create_pipeline(client, f"cycles {i} {unique}") for i in range(4)]

    async def cycles(pipeline_id: int) -> list[int]:
        body = {"pipeline_id": pipeline_id, "start_date": "2025-06-01T12:00:00+00:00"}
        statuses = []
        for _ in range(10):
            started = await client.post(START, json=body)
            statuses.append(started.status_code)
            if started.status_code == 201:
                ended = await end_run(client, started.json()["id"], inserts=1)
                statuses.append(ended.status_code)
        return statuses

    callers = await asyncio.gather(*(cycles(pipelines[i % 4]) for i in range(16)))
    assert {status for statuses in callers for status in statuses} == {201, 204}
    for pipeline_id in pipelines:
        assert await running_runs(client, pipeline_id) == []
