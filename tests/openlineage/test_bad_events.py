"""Invalid events are 422s naming what is wrong; never a 500."""

from typing import Any

import httpx
import pytest

from tests.openlineage.events import new_run_id, run_event


def without(event: dict[str, Any], *path: str) -> dict[str, Any]:
    parent = event
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    return event


def valid() -> dict[str, Any]:
    return run_event("START", new_run_id(), "bad_input")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (without(valid(), "run", "runId"), "RunEvent.run.runId"),
        (without(valid(), "job"), "RunEvent.job"),
        (without(valid(), "job", "name"), "RunEvent.job.name"),
        ({**valid(), "run": {"runId": "not-a-uuid"}}, "RunEvent.run.runId"),
        ({**valid(), "eventTime": "yesterday"}, "RunEvent.eventTime"),
        ({**valid(), "eventTime": 1764583200}, "RunEvent.eventTime"),
        ({**valid(), "eventType": "FINISHED"}, "RunEvent.eventType"),
        (
            {**valid(), "run": {"runId": new_run_id(), "facets": {"parent": {"run": {}}}}},
            "RunEvent.run.facets.parent.run.runId",
        ),
        ({**valid(), "outputs": [{"namespace": "s3://b"}]}, "RunEvent.outputs.0.name"),
        ({"eventTime": "2026-12-01T10:00:00Z", "dataset": {"name": "x"}}, "DatasetEvent"),
    ],
)
async def test_an_invalid_event_is_a_422_naming_the_field(
    client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    response = await client.post("/api/v1/lineage", json=body)

    assert response.status_code == 422, response.text
    assert response.json()["message"].startswith(f"{field}"), response.json()["message"]


@pytest.mark.parametrize("content", [b"not json", b"[1, 2]", b'"text"', b"{"])
async def test_a_body_that_is_not_a_json_object_is_a_422(
    client: httpx.AsyncClient, content: bytes
) -> None:
    response = await client.post(
        "/api/v1/lineage", content=content, headers={"content-type": "application/json"}
    )

    assert response.status_code == 422, response.text


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"job": {"namespace": "tests", "name": "x" * 150}}, "job.name"),
        ({"outputs": [{"namespace": "s3://b", "name": "y" * 150}]}, "outputs[0].name"),
    ],
)
async def test_a_name_longer_than_watcher_keeps_is_refused_not_cut(
    client: httpx.AsyncClient, change: dict[str, Any], field: str
) -> None:
    response = await client.post("/api/v1/lineage", json={**valid(), **change})

    assert response.status_code == 422, response.text
    assert response.json()["message"].startswith(f"{field}:")


async def test_a_nul_character_in_a_facet_is_a_422(client: httpx.AsyncClient) -> None:
    event = run_event("START", new_run_id(), "nul", run_facets={"x": {"note": "a\u0000b"}})

    response = await client.post("/api/v1/lineage", json=event)

    assert response.status_code == 422, response.text
