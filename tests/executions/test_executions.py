import asyncio
from datetime import UTC, datetime, timedelta

import httpx

from tests.factories import create_pipeline, end_run, get_pipeline, start_run

T0 = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat()


async def get_run(client: httpx.AsyncClient, execution_id: int) -> dict:
    response = await client.get(f"/pipeline_execution/{execution_id}")
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_run_is_recorded_start_to_end(client: httpx.AsyncClient, unique: str) -> None:
    pipeline_id = await create_pipeline(client, f"run {unique}")
    run = await start_run(
        client,
        pipeline_id,
        start_date=iso(T0),
        full_load=True,
        execution_metadata={"dag_id": "orders", "try": 1},
    )
    running = await get_run(client, run)
    assert running["status"] == "running"
    assert running["completed_successfully"] is None
    assert (running["date_recorded"], running["hour_recorded"]) == ("2026-03-01", 8)

    ended = await end_run(
        client,
        run,
        pipeline_id=pipeline_id,
        end_date=iso(T0 + timedelta(seconds=100, milliseconds=600)),
        inserts=10,
        updates=0,
        soft_deletes=2,
        total_rows=1000,
        execution_metadata={"try": 2, "host": "worker-1"},
    )

    assert ended.status_code == 204
    done = await get_run(client, run)
    assert done["status"] == "succeeded"
    assert done["start_date"] == "2026-03-01T08:30:00Z"
    assert done["duration_seconds"] == 101
    assert abs(done["throughput"] - 1000 / 100.6) < 1e-9
    assert (done["inserts"], done["updates"], done["soft_deletes"], done["total_rows"]) == (
        10,
        0,
        2,
        1000,
    )
    assert done["full_load"] is True
    assert done["execution_metadata"] == {"dag_id": "orders", "try": 2, "host": "worker-1"}


async def test_defaults_start_now_and_success(client: httpx.AsyncClient, unique: str) -> None:
    pipeline_id = await create_pipeline(client, f"defaults {unique}")
    before = datetime.now(UTC)
    run = await start_run(client, pipeline_id, start_date=None)
    assert (await end_run(client, run)).status_code == 204

    done = await get_run(client, run)
    started = datetime.fromisoformat(done["start_date"])
    assert before - timedelta(seconds=1) <= started <= datetime.now(UTC)
    assert done["completed_successfully"] is True
    assert done["end_date"] >= done["start_date"]


async def test_naive_and_offset_times_are_stored_as_utc(
    client: httpx.AsyncClient, unique: str
) -> None:
    pipeline_id = await create_pipeline(client, f"tz {unique}")
    naive = await start_run(client, pipeline_id, start_date="2026-03-01T08:30:00")
    offset = await start_run(client, pipeline_id, start_date="2026-03-01T10:30:00+02:00")
    for run in (naive, offset):
        assert (await get_run(client, run))["start_date"] == "2026-03-01T08:30:00Z"


async def test_success_advances_the_watermark_to_the_runs_own_bound(
    client: httpx.AsyncClient, unique: str
) -> None:
    name = f"overlap {unique}"
    pipeline_id = await create_pipeline(client, name, next_watermark="10")
    slow = await start_run(client, pipeline_id)  # runs for (None, 10]
    await client.post(
        "/pipeline", json={"name": name, "pipeline_type_name": "extraction", "next_watermark": "20"}
    )
    fast = await start_run(client, pipeline_id)  # runs for (None, 20]
    assert (await get_run(client, slow))["next_watermark"] == "10"
    assert (await get_run(client, fast))["next_watermark"] == "20"

    await end_run(client, fast)
    assert (await get_pipeline(client, pipeline_id))["watermark"] == "20"
    await end_run(client, slow)
    # The slow run only loaded up to 10: resuming from 10 re-reads (10, 20], never skips it.
    assert (await get_pipeline(client, pipeline_id))["watermark"] == "10"


async def test_run_watermarks_come_from_the_request_or_the_pipeline(
    client: httpx.AsyncClient, unique: str
) -> None:
    pipeline_id = await create_pipeline(client, f"range {unique}", next_watermark="5")
    first = await start_run(client, pipeline_id)
    await end_run(client, first)
    explicit = await start_run(client, pipeline_id, watermark="5", next_watermark=7)

    run = await get_run(client, explicit)
    assert (run["watermark"], run["next_watermark"]) == ("5", "7")
    await end_run(client, explicit)
    assert (await get_pipeline(client, pipeline_id))["watermark"] == "7"


async def test_a_failed_run_changes_nothing_on_the_pipeline(
    client: httpx.AsyncClient, unique: str
) -> None:
    pipeline_id = await create_pipeline(client, f"fail {unique}", next_watermark="12")
    before = await get_pipeline(client, pipeline_id)
    run = await start_run(client, pipeline_id)

    response = await end_run(client, run, completed_successfully=False, inserts=5)

    assert response.status_code == 204
    assert (await get_run(client, run))["status"] == "failed"
    after = await get_pipeline(client, pipeline_id)
    assert after == before


async def test_dml_times_move_forward_only(client: httpx.AsyncClient, unique: str) -> None:
    pipeline_id = await create_pipeline(client, f"dml {unique}")
    late = await start_run(client, pipeline_id, start_date=iso(T0))
    await end_run(
        client, late, end_date=iso(T0 + timedelta(hours=2)), inserts=1, updates=1, soft_deletes=0
    )
    early = await start_run(client, pipeline_id, start_date=iso(T0))
    await end_run(
        client, early, end_date=iso(T0 + timedelta(hours=1)), inserts=3, updates=0, soft_deletes=4
    )

    stored = await get_pipeline(client, pipeline_id)
    assert stored["last_target_insert"] == "2026-03-01T10:30:00Z"
    assert stored["last_target_update"] == "2026-03-01T10:30:00Z"
    assert stored["last_target_soft_delete"] == "2026-03-01T09:30:00Z"
    assert stored["load_lineage"] is False


async def test_repeated_end_is_harmless_and_a_different_one_conflicts(
    client: httpx.AsyncClient, unique: str
) -> None:
    name = f"again {unique}"
    pipeline_id = await create_pipeline(client, name, next_watermark="1")
    run = await start_run(client, pipeline_id)
    end = {"end_date": iso(datetime.now(UTC)), "completed_successfully": True, "inserts": 3}
    assert (await end_run(client, run, **end)).status_code == 204
    # The pipeline moves on; a retried end of the old run must not move the watermark again.
    await client.post(
        "/pipeline", json={"name": name, "pipeline_type_name": "extraction", "next_watermark": "2"}
    )
    await client.patch("/pipeline", json={"id": pipeline_id, "watermark": "manual"})

    assert (await end_run(client, run, **end)).status_code == 204
    conflict = await end_run(client, run, **{**end, "completed_successfully": False})
    assert conflict.status_code == 409
    assert "completed_successfully" in conflict.json()["message"]
    assert (await end_run(client, run, **{**end, "inserts": 4})).status_code == 409
    assert (await get_pipeline(client, pipeline_id))["watermark"] == "manual"
    assert (await get_run(client, run))["inserts"] == 3


async def test_concurrent_ends_of_one_run_advance_once(
    client: httpx.AsyncClient, unique: str
) -> None:
    pipeline_id = await create_pipeline(client, f"dup end {unique}", next_watermark="9")
    run = await start_run(client, pipeline_id)
    end = {"end_date": iso(datetime.now(UTC)), "inserts": 1}
    responses = await asyncio.gather(*(end_run(client, run, **end) for _ in range(10)))
    assert {response.status_code for response in responses} == {204}
    assert (await get_pipeline(client, pipeline_id))["watermark"] == "9"


async def test_end_validation(client: httpx.AsyncClient, unique: str) -> None:
    pipeline_id = await create_pipeline(client, f"bad end {unique}")
    other = await create_pipeline(client, f"other {unique}")
    run = await start_run(client, pipeline_id, start_date=iso(T0))

    before_start = await end_run(client, run, end_date=iso(T0 - timedelta(days=1)))
    assert before_start.status_code == 422
    assert before_start.json()["message"].startswith("end_date:")
    wrong_owner = await end_run(client, run, pipeline_id=other)
    assert wrong_owner.status_code == 422
    assert wrong_owner.json()["message"].startswith("pipeline_id:")
    negative = await end_run(client, run, inserts=-1)
    assert negative.status_code == 422
    assert "inserts" in negative.json()["message"]
    assert (await end_run(client, 987654321)).status_code == 404
    assert (await get_run(client, run))["status"] == "running"


async def test_start_validation(client: httpx.AsyncClient, unique: str) -> None:
    pipeline_id = await create_pipeline(client, f"bad start {unique}")

    unknown = await client.post("/start_pipeline_execution", json={"pipeline_id": 987654321})
    assert unknown.status_code == 404
    assert unknown.json()["message"] == "pipeline 987654321 not found"
    orphan = await client.post(
        "/start_pipeline_execution", json={"pipeline_id": pipeline_id, "parent_id": 987654321}
    )
    assert orphan.status_code == 404
    assert orphan.json()["message"] == "parent execution 987654321 not found"
    missing = await client.post("/start_pipeline_execution", json={})
    assert missing.status_code == 422
    assert "pipeline_id" in missing.json()["message"]


async def test_children_are_nested_at_every_depth(client: httpx.AsyncClient, unique: str) -> None:
    pipeline_id = await create_pipeline(client, f"tree {unique}")
    root = await start_run(client, pipeline_id)
    child = await start_run(client, pipeline_id, parent_id=root)
    sibling = await start_run(client, pipeline_id, parent_execution_id=root)  # the SDK's key
    grandchild = await start_run(client, pipeline_id, parent_id=child)

    tree = await get_run(client, root)
    assert tree["parent_id"] is None
    assert [c["id"] for c in tree["child_executions"]] == [child, sibling]
    assert [g["id"] for g in tree["child_executions"][0]["child_executions"]] == [grandchild]
    assert tree["child_executions"][1]["parent_id"] == root
    leaf = await get_run(client, grandchild)
    assert (leaf["parent_id"], leaf["child_executions"]) == (child, [])


async def test_list_is_newest_first_and_pages(client: httpx.AsyncClient, unique: str) -> None:
    pipeline_id = await create_pipeline(client, f"history {unique}")
    runs = [
        await start_run(client, pipeline_id, start_date=iso(T0 + timedelta(minutes=i)))
        for i in range(4)
    ]
    listed = await client.get("/pipeline_execution", params={"pipeline_id": pipeline_id})
    assert [row["id"] for row in listed.json()] == runs[::-1]
    page = await client.get(
        "/pipeline_execution", params={"pipeline_id": pipeline_id, "limit": 2, "offset": 1}
    )
    assert [row["id"] for row in page.json()] == runs[2:0:-1]
    unknown = await client.get("/pipeline_execution", params={"pipeline_id": 987654321})
    assert unknown.status_code == 404
    assert (await client.get("/pipeline_execution/987654321")).status_code == 404


async def test_end_metadata_is_merged_over_whatever_the_start_sent(
    client: httpx.AsyncClient, unique: str
) -> None:
    pipeline_id = await create_pipeline(client, f"metadata {unique}")
    bare = await start_run(client, pipeline_id)
    await end_run(client, bare, execution_metadata={"rows_file": "a.csv"})
    assert (await get_run(client, bare))["execution_metadata"] == {"rows_file": "a.csv"}

    tagged = await start_run(client, pipeline_id, execution_metadata={"dag_id": "orders"})
    await end_run(client, tagged)
    assert (await get_run(client, tagged))["execution_metadata"] == {"dag_id": "orders"}


async def test_duration_rounds_half_up_and_throughput_needs_elapsed_time(
    client: httpx.AsyncClient, unique: str
) -> None:
    pipeline_id = await create_pipeline(client, f"duration {unique}")
    half = await start_run(client, pipeline_id, start_date=iso(T0))
    await end_run(client, half, end_date=iso(T0 + timedelta(seconds=2.5)), total_rows=5)
    instant = await start_run(client, pipeline_id, start_date=iso(T0))
    await end_run(client, instant, end_date=iso(T0), total_rows=5)

    assert (await get_run(client, half))["duration_seconds"] == 3
    assert (await get_run(client, half))["throughput"] == 2.0
    assert (await get_run(client, instant))["duration_seconds"] == 0
    assert (await get_run(client, instant))["throughput"] is None

    # Without metadata at the end, every database takes its statement-only path.
    exact = await start_run(client, pipeline_id, start_date=iso(T0 + timedelta(microseconds=1)))
    finish = T0 + timedelta(seconds=100, microseconds=600_001)
    await end_run(client, exact, end_date=iso(finish), total_rows=1000)
    done = await get_run(client, exact)
    assert done["duration_seconds"] == 101
    assert abs(done["throughput"] - 1000 / 100.6) < 1e-9


async def test_a_run_ending_at_the_end_of_time_is_recorded(
    client: httpx.AsyncClient, unique: str
) -> None:
    # (A run starting at the beginning of time: tests/maintenance, which also cleans it up.)
    pipeline_id = await create_pipeline(client, f"edge {unique}")
    run = await start_run(client, pipeline_id, start_date=iso(T0))
    ended = await end_run(client, run, end_date="9999-12-31T23:59:59.999999Z", total_rows=1)
    assert ended.status_code == 204, ended.text
    done = await get_run(client, run)
    assert done["status"] == "succeeded"
    last_moment = datetime.max.replace(tzinfo=UTC)
    assert done["duration_seconds"] == round((last_moment - T0).total_seconds())
