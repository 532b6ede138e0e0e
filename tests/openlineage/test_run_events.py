"""RunEvents through HTTP: pipelines, runs, their outcome, nesting, lineage and freshness."""

import asyncio
from typing import Any

import httpx
import pytest

from tests.factories import get_pipeline
from tests.openlineage.events import (
    dataset,
    get_run,
    new_run_id,
    parent_facet,
    row_count,
    run_event,
    runs_of,
    send,
)

DBT = {"jobType": {"integration": "DBT", "jobType": "MODEL", "processingType": "BATCH"}}


async def addresses_by_name(client: httpx.AsyncClient, ids: list[int]) -> dict[str, Any]:
    rows = [(await client.get(f"/address/{address_id}")).json() for address_id in ids]
    return {row["name"]: row for row in rows}


async def test_start_then_complete_is_a_succeeded_run_with_its_lineage(
    client: httpx.AsyncClient, unique: str
) -> None:
    run_id = new_run_id()
    inputs = [dataset(f"db.raw.orders_{unique}"), dataset(f"db.raw.customers_{unique}")]
    output = dataset(f"db.mart.Sales_{unique}")
    start = run_event("START", run_id, f"Load.Sales_{unique}", inputs=inputs, outputs=[output])
    complete = run_event(
        "COMPLETE",
        run_id,
        f"Load.Sales_{unique}",
        at="2026-12-01T10:02:30Z",
        inputs=inputs,
        outputs=[{**output, "outputFacets": row_count(1200)}],
    )

    started = await send(client, start)
    completed = await send(client, complete)

    assert completed["execution_id"] == started["execution_id"]
    pipeline = await get_pipeline(client, started["pipeline_id"])
    assert pipeline["name"] == f"tests.load.sales_{unique}"
    assert pipeline["last_target_insert"] == "2026-12-01T10:02:30Z"  # a load, for freshness
    run = await get_run(client, started["execution_id"])
    assert (run["status"], run["start_date"], run["end_date"]) == (
        "succeeded",
        "2026-12-01T10:00:00Z",
        "2026-12-01T10:02:30Z",
    )
    assert (run["total_rows"], run["duration_seconds"]) == (1200, 150)
    assert run["execution_metadata"]["openlineage"]["runId"] == run_id
    by_name = await addresses_by_name(client, started["address_ids"])
    target = by_name[f"db.mart.sales_{unique}"]
    graph = (await client.get(f"/lineage/{target['id']}", params={"direction": "upstream"})).json()
    assert sorted((edge["source"], edge["target"]) for edge in graph["edges"]) == sorted(
        (by_name[f"db.raw.{table}_{unique}"]["id"], target["id"])
        for table in ("orders", "customers")
    )
    assert graph["edges"][0]["pipelines"][0]["type"] == "openlineage"
    closure = (await client.get(f"/address_lineage/{target['id']}")).json()
    assert len(closure) == 2


async def test_the_pipeline_type_is_the_jobs_integration(
    client: httpx.AsyncClient, unique: str
) -> None:
    # dbt names a model's job <database>.<schema>.<project>.<model>: long, and kept whole.
    job = f"analytics_warehouse.dbt_transformations_prod.jaffle_shop.customer_lifetime_{unique}"
    out = await send(client, run_event("START", new_run_id(), job, job_facets=DBT))
    again = await send(client, run_event("START", new_run_id(), job))  # says no type

    pipeline = await get_pipeline(client, out["pipeline_id"])
    assert again["pipeline_id"] == out["pipeline_id"]
    assert pipeline["name"] == f"tests.{job}"
    assert len(pipeline["name"]) > 70
    types = {row["id"]: row["name"] for row in (await client.get("/pipeline_type")).json()}
    assert types[pipeline["pipeline_type_id"]] == "dbt"


@pytest.mark.parametrize("event_type", ["FAIL", "ABORT"])
async def test_fail_and_abort_end_the_run_as_failed(
    client: httpx.AsyncClient, unique: str, event_type: str
) -> None:
    run_id, job = new_run_id(), f"failing_{unique}"
    outputs = [dataset(f"db.mart.failed_{unique}")]
    error = {
        "errorMessage": {
            "message": "relation does not exist",
            "programmingLanguage": "SQL",
            "stackTrace": "line 1",
        }
    }
    await send(client, run_event("START", run_id, job, outputs=outputs))
    out = await send(
        client,
        run_event(event_type, run_id, job, at="2026-12-01T10:01:00Z", run_facets=error),
    )

    run = await get_run(client, out["execution_id"])
    assert run["status"] == "failed"
    section = run["execution_metadata"]["openlineage"]
    assert section["errorMessage"] == "relation does not exist"
    assert section["facets"]["errorMessage"]["stackTrace"] == "line 1"
    pipeline = await get_pipeline(client, out["pipeline_id"])
    assert pipeline["last_target_insert"] is None


async def test_running_and_other_merge_their_facets_and_a_missing_type_is_other(
    client: httpx.AsyncClient, unique: str
) -> None:
    run_id, job = new_run_id(), f"spark_{unique}"
    spark = {"spark_version": {"spark-version": "3.5.1"}}
    custom = {"acme_cost": {"_producer": "acme", "dollars": 3}}

    first = await send(client, run_event(None, run_id, job, run_facets=custom))
    await send(client, run_event("RUNNING", run_id, job, run_facets=spark))
    await send(client, run_event("OTHER", run_id, job, inputs=[dataset(f"db.s.in_{unique}")]))

    run = await get_run(client, first["execution_id"])
    assert run["status"] == "running"
    section = run["execution_metadata"]["openlineage"]
    assert section["facets"] == {**custom, **spark}
    assert list(section["inputs"]) == [f"db.s.in_{unique}"]


async def test_complete_before_start_creates_and_ends_the_run(
    client: httpx.AsyncClient, unique: str
) -> None:
    run_id, job = new_run_id(), f"early_{unique}"
    complete = run_event("COMPLETE", run_id, job, at="2026-12-01T10:05:00Z")

    done = await send(client, complete)
    late_start = await send(client, run_event("START", run_id, job))

    assert late_start["execution_id"] == done["execution_id"]
    assert [run["status"] for run in await runs_of(client, done["pipeline_id"])] == ["succeeded"]


async def test_repeats_change_nothing_and_a_second_terminal_event_is_ignored(
    client: httpx.AsyncClient, unique: str
) -> None:
    run_id, job = new_run_id(), f"repeated_{unique}"
    start = run_event("START", run_id, job)
    complete = run_event("COMPLETE", run_id, job, at="2026-12-01T10:01:00Z")

    await send(client, start)
    await send(client, start)
    done = await send(client, complete)
    before = await get_run(client, done["execution_id"])
    again = await send(client, complete, status=200)
    failed = await send(client, run_event("FAIL", run_id, job, at="2026-12-01T10:02:00Z"), 200)

    assert again["status"] == failed["status"] == "ignored"
    assert await get_run(client, done["execution_id"]) == before
    assert len(await runs_of(client, done["pipeline_id"])) == 1


async def test_an_end_before_its_start_ends_the_run_at_its_start(
    client: httpx.AsyncClient, unique: str
) -> None:
    run_id, job = new_run_id(), f"skewed_{unique}"
    await send(client, run_event("START", run_id, job, at="2026-12-01T10:00:00Z"))
    out = await send(client, run_event("COMPLETE", run_id, job, at="2026-12-01T09:59:00Z"))

    run = await get_run(client, out["execution_id"])
    assert (run["status"], run["end_date"]) == ("succeeded", "2026-12-01T10:00:00Z")


async def test_the_parent_facet_nests_the_run_creating_the_parent_when_unseen(
    client: httpx.AsyncClient, unique: str
) -> None:
    parent_run, dag = new_run_id(), f"dag_{unique}"
    facet = parent_facet(parent_run, dag, namespace="airflow")
    airflow = {"jobType": {"integration": "AIRFLOW", "jobType": "TASK"}}

    child = await send(
        client,
        run_event("START", new_run_id(), f"{dag}.task", run_facets=facet, job_facets=airflow),
    )
    parent = await send(client, run_event("START", parent_run, dag, namespace="airflow"))
    sibling = await send(
        client, run_event("COMPLETE", new_run_id(), f"{dag}.other", run_facets=facet)
    )

    tree = await get_run(client, parent["execution_id"])
    assert sorted(run["id"] for run in tree["child_executions"]) == sorted(
        [child["execution_id"], sibling["execution_id"]]
    )
    assert (await get_pipeline(client, parent["pipeline_id"]))["name"] == f"airflow.{dag}"


async def test_the_same_event_posted_concurrently_makes_one_run(
    client: httpx.AsyncClient, unique: str
) -> None:
    run_id, job = new_run_id(), f"concurrent_{unique}"
    outputs = [dataset(f"db.s.concurrent_{unique}")]
    inputs = [dataset(f"db.s.source_{unique}")]
    start = run_event("START", run_id, job, inputs=inputs, outputs=outputs)
    complete = run_event("COMPLETE", run_id, job, at="2026-12-01T10:03:00Z", outputs=outputs)

    started = await asyncio.gather(*(client.post("/api/v1/lineage", json=start) for _ in "ab"))
    ended = await asyncio.gather(*(client.post("/api/v1/lineage", json=complete) for _ in "ab"))

    assert [response.status_code for response in started] == [201, 201]
    assert sorted(response.status_code for response in ended) in ([200, 201], [201, 201])
    pipeline_id = started[0].json()["pipeline_id"]
    assert [run["status"] for run in await runs_of(client, pipeline_id)] == ["succeeded"]
