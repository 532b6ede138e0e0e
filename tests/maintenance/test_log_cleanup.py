"""POST /log_cleanup really deletes old runs, keeps everything else, and answers true counts."""

import asyncio
from datetime import timedelta

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import app_client
from tests.factories import create_pipeline, end_run, get_pipeline, start_run
from tests.maintenance.conftest import (
    Era,
    log_cleanup,
    new_era,
    overdue_run,
    run,
    status_of,
    surviving,
)
from watcher_server.maintenance.schemas import SEED_COUNTERS
from watcher_server.settings import Settings


async def test_old_runs_are_gone_when_the_call_returns(
    client: httpx.AsyncClient, settings: Settings, era: Era, unique: str
) -> None:
    pipeline_id = await create_pipeline(
        client,
        f"cleanup {unique}",
        next_watermark="2026-01-01",
        freshness_number=1,
        freshness_datepart="day",
    )
    old = [
        await run(client, pipeline_id, era.old(), inserts=5),
        await run(client, pipeline_id, era.old(1), completed_successfully=False),
        await run(client, pipeline_id, era.old(2)),
    ]
    young = await run(client, pipeline_id, era.young())
    running = await run(client, pipeline_id, era.old(3), finished=False)
    pipeline_before = await get_pipeline(client, pipeline_id)

    answer = await log_cleanup(settings, era.now)

    assert answer["total_pipeline_executions_deleted"] == 3
    assert answer["rows_deleted"]["pipeline_execution"] == 3
    assert [await status_of(client, run_id) for run_id in old] == [404, 404, 404]
    assert await surviving(client, [young, running]) == {young, running}
    listed = await client.get("/pipeline_execution", params={"pipeline_id": pipeline_id})
    assert {row["id"] for row in listed.json()} == {young, running}
    assert await get_pipeline(client, pipeline_id) == pipeline_before
    assert pipeline_before["watermark"] == "2026-01-01"


async def test_nested_runs_go_only_as_whole_trees(
    client: httpx.AsyncClient, settings: Settings, era: Era, unique: str
) -> None:
    pipeline_id = await create_pipeline(client, f"trees {unique}")
    old_tree = [await run(client, pipeline_id, era.old())]
    old_tree.append(await run(client, pipeline_id, era.old(1), parent=old_tree[0]))
    old_tree.append(await run(client, pipeline_id, era.old(2), parent=old_tree[1]))
    old_tree.append(await run(client, pipeline_id, era.old(3), parent=old_tree[0]))
    # Old trees with one young or one running run somewhere inside: kept whole.
    young_leaf = [await run(client, pipeline_id, era.old(10))]
    young_leaf.append(await run(client, pipeline_id, era.old(11), parent=young_leaf[0]))
    young_leaf.append(await run(client, pipeline_id, era.young(), parent=young_leaf[1]))
    running_leaf = [await run(client, pipeline_id, era.old(20))]
    running_leaf.append(await run(client, pipeline_id, era.old(21), parent=running_leaf[0]))
    running_leaf.append(
        await run(client, pipeline_id, era.old(22), parent=running_leaf[0], finished=False)
    )
    running_root = [await run(client, pipeline_id, era.old(30), finished=False)]
    running_root.append(await run(client, pipeline_id, era.old(31), parent=running_root[0]))

    answer = await log_cleanup(settings, era.now)

    assert answer["total_pipeline_executions_deleted"] == len(old_tree)
    assert await surviving(client, old_tree) == set()
    kept = young_leaf + running_leaf + running_root
    assert await surviving(client, kept) == set(kept)
    tree = (await client.get(f"/pipeline_execution/{young_leaf[0]}")).json()
    assert tree["child_executions"][0]["child_executions"][0]["id"] == young_leaf[2]


async def test_counts_match_the_original_shape_and_the_batches(
    client: httpx.AsyncClient, settings: Settings, era: Era, unique: str
) -> None:
    pipeline_id = await create_pipeline(client, f"counts {unique}")
    for minute in range(7):
        await run(client, pipeline_id, era.old(minute))

    answer = await log_cleanup(settings, era.now, batch_size=3)

    assert set(SEED_COUNTERS) <= set(answer)
    assert answer["total_pipeline_executions_deleted"] == 7
    assert answer["total_pipeline_execution_closure_parent_deleted"] == 0
    assert answer["rows_deleted"] == {
        "pipeline_execution": 7,
        "timeliness_pipeline_execution_log": 0,
        "anomaly_detection_result": 0,
        "freshness_pipeline_log": 0,
        "alert": 0,
    }
    assert (answer["batches"], answer["batch_size"], answer["dry_run"]) == (3, 3, False)
    assert answer["cutoff"] == era.cutoff.isoformat().replace("+00:00", "Z")
    again = await log_cleanup(settings, era.now)
    assert (again["total_pipeline_executions_deleted"], again["batches"]) == (0, 0)


async def test_a_dry_run_deletes_nothing_and_counts_what_a_real_run_deletes(
    client: httpx.AsyncClient, settings: Settings, era: Era, unique: str
) -> None:
    pipeline_id = await create_pipeline(client, f"dry {unique}")
    parent = await run(client, pipeline_id, era.old())
    runs = [parent, await run(client, pipeline_id, era.old(1), parent=parent)]
    runs += [
        await run(client, pipeline_id, era.old(2)),
        await run(client, pipeline_id, era.young()),
    ]
    runs.append(await run(client, pipeline_id, era.old(3), finished=False))

    dry = await log_cleanup(settings, era.now, dry_run=True, batch_size=1)

    assert await surviving(client, runs) == set(runs)
    assert (dry["dry_run"], dry["batches"], dry["total_pipeline_executions_deleted"]) == (
        True,
        0,
        3,
    )
    real = await log_cleanup(settings, era.now, batch_size=1)
    assert real["rows_deleted"] == dry["rows_deleted"]
    assert {name: real[name] for name in SEED_COUNTERS} == {
        name: dry[name] for name in SEED_COUNTERS
    }
    assert await surviving(client, runs) == set(runs[3:])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "retention_days"),
        ({"retention_days": 89}, "retention_days"),
        ({"retention_days": -1}, "retention_days"),
        ({"retention_days": 10**30}, "retention_days"),
        ({"retention_days": "ninety"}, "retention_days"),
        ({"retention_days": None}, "retention_days"),
        ({"retention_days": 90, "batch_size": 0}, "batch_size"),
        ({"retention_days": 90, "batch_size": -5}, "batch_size"),
        ({"retention_days": 90, "batch_size": 100_001}, "batch_size"),
        ({"retention_days": 90, "dry_run": "perhaps"}, "dry_run"),
    ],
)
async def test_bad_input_is_422_naming_the_field(
    client: httpx.AsyncClient, body: dict, field: str
) -> None:
    response = await client.post("/log_cleanup", json=body)

    assert response.status_code == 422
    assert response.json()["message"].startswith(field)


async def test_the_largest_retention_and_batch_are_accepted(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/log_cleanup", json={"retention_days": 36_500, "batch_size": 100_000, "dry_run": True}
    )
    assert response.status_code == 200, response.text


async def test_pipelines_keep_running_during_a_cleanup(
    settings: Settings, era: Era, unique: str
) -> None:
    """Start and end calls made while a long cleanup runs all succeed, on the same server."""
    async with app_client(settings, clock=lambda: era.now) as http:
        pipeline_id = await create_pipeline(http, f"busy {unique}", next_watermark="w1")
        old = [await run(http, pipeline_id, era.old(minute)) for minute in range(60)]
        old += [await run(http, pipeline_id, era.old(70), parent=old[i]) for i in range(0, 60, 6)]
        cleanup_done = asyncio.Event()
        statuses: list[int] = []
        during: list[int] = []

        async def lifecycles() -> None:
            while not cleanup_done.is_set():
                started = await http.post(
                    "/start_pipeline_execution", json={"pipeline_id": pipeline_id}
                )
                ended = await end_run(http, started.json()["id"], inserts=1)
                statuses.extend((started.status_code, ended.status_code))
                if not cleanup_done.is_set():
                    during.append(started.json()["id"])

        async def cleanup() -> httpx.Response:
            try:
                return await http.post("/log_cleanup", json={"retention_days": 90, "batch_size": 2})
            finally:
                cleanup_done.set()

        workers = [asyncio.create_task(lifecycles()) for _ in range(4)]
        answer = await cleanup()
        await asyncio.gather(*workers)

        assert answer.status_code == 200, answer.text
        assert answer.json()["total_pipeline_executions_deleted"] == len(old)
        assert set(statuses) <= {201, 204}
        assert len(during) >= 10
        assert await surviving(http, old) == set()
        finished = [(await http.get(f"/pipeline_execution/{i}")).json()["status"] for i in during]
        assert set(finished) == {"succeeded"}


async def test_a_run_nested_under_a_run_being_deleted_is_refused_cleanly(
    settings: Settings, era: Era, unique: str
) -> None:
    """Nesting a run under one the cleanup is deleting answers 201 or 404, never 500; a run
    that got nested keeps its parent."""
    async with app_client(settings, clock=lambda: era.now) as http:
        pipeline_id = await create_pipeline(http, f"nest {unique}")
        parents = [await run(http, pipeline_id, era.old(minute)) for minute in range(40)]

        async def nest_under_each(order: list[int]) -> list[tuple[int, httpx.Response]]:
            answers = []
            for parent in order:
                response = await http.post(
                    "/start_pipeline_execution",
                    json={"pipeline_id": pipeline_id, "parent_id": parent},
                )
                answers.append((parent, response))
            return answers

        # One caller chases the cleanup (which goes oldest first), the other meets it.
        cleanup, chasing, meeting = await asyncio.gather(
            http.post("/log_cleanup", json={"retention_days": 90, "batch_size": 1}),
            nest_under_each(parents),
            nest_under_each(parents[::-1]),
        )
        nested = chasing + meeting

        assert cleanup.status_code == 200, cleanup.text
        assert {response.status_code for _, response in nested} <= {201, 404}
        adopted = {parent for parent, response in nested if response.status_code == 201}
        assert await surviving(http, parents) == adopted
        deleted = cleanup.json()["total_pipeline_executions_deleted"]
        assert deleted == len(parents) - len(adopted)


@st.composite
def forests(draw: st.DrawFn) -> list[tuple[int | None, str]]:
    """Runs as (index of the parent run or None, "old" | "young" | "running")."""
    size = draw(st.integers(1, 10))
    runs: list[tuple[int | None, str]] = []
    for index in range(size):
        parent = draw(st.one_of(st.none(), st.integers(0, index - 1))) if index else None
        runs.append((parent, draw(st.sampled_from(["old", "old", "young", "running"]))))
    return runs


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(forest=forests(), batch_size=st.integers(1, 4))
async def test_any_forest_of_runs(
    client: httpx.AsyncClient, settings: Settings, forest: list, batch_size: int
) -> None:
    """A tree goes exactly when all its runs are old and finished; dry run and real run agree."""
    era = new_era()
    pipeline_id = await create_pipeline(client, f"forest {era.now.year}")
    ids: list[int] = []
    for index, (parent, kind) in enumerate(forest):
        started = era.young(index) if kind == "young" else era.old(index)
        parent_id = None if parent is None else ids[parent]
        ids.append(
            await run(client, pipeline_id, started, parent=parent_id, finished=kind != "running")
        )

    def root(index: int) -> int:
        while forest[index][0] is not None:
            index = forest[index][0]
        return index

    clean_roots = {root(i) for i in range(len(forest))} - {
        root(i) for i, (_, kind) in enumerate(forest) if kind != "old"
    }
    expected_gone = {ids[i] for i in range(len(forest)) if root(i) in clean_roots}

    dry = await log_cleanup(settings, era.now, dry_run=True)
    real = await log_cleanup(settings, era.now, batch_size=batch_size)

    assert dry["total_pipeline_executions_deleted"] == len(expected_gone)
    assert real["total_pipeline_executions_deleted"] == len(expected_gone)
    assert await surviving(client, ids) == set(ids) - expected_gone


async def test_a_run_far_in_the_past_is_handled(
    client: httpx.AsyncClient, settings: Settings, unique: str
) -> None:
    era = new_era()
    pipeline_id = await create_pipeline(client, f"ancient {unique}")
    ancient = await start_run(client, pipeline_id, start_date="0001-01-01T00:00:00Z")
    await end_run(client, ancient, end_date=(era.old()).isoformat())
    answer = await log_cleanup(settings, era.now + timedelta(days=1))
    assert answer["total_pipeline_executions_deleted"] == 1
    assert await status_of(client, ancient) == 404


async def test_monitoring_logs_go_with_their_runs_and_undelivered_alerts_stay(
    client: httpx.AsyncClient, settings: Settings, era: Era, unique: str
) -> None:
    pipeline_id = await create_pipeline(
        client, f"overdue {unique}", timeliness_number=1, timeliness_datepart="minute"
    )
    slow = await overdue_run(settings, pipeline_id, era.old(), era.old(10))
    alerts = (await client.get("/alert", params={"pipeline_id": pipeline_id})).json()

    answer = await log_cleanup(settings, era.now)

    assert answer["total_timeliness_pipeline_execution_logs_deleted"] == 1
    assert await status_of(client, slow) == 404
    logs = await client.get(
        "/timeliness_pipeline_execution_log", params={"pipeline_id": pipeline_id}
    )
    assert logs.json() == []
    # Never sent (no channel ran in this test), so the alert is kept whatever its age.
    still = (await client.get("/alert", params={"pipeline_id": pipeline_id})).json()
    assert [alert["id"] for alert in still] == [alert["id"] for alert in alerts] != []
