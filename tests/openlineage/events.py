"""OpenLineage events as producers send them, built small."""

import uuid
from typing import Any

import httpx

PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.25.0/integration/test"
SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
POSTGRES = "postgres://warehouse:5432"


def new_run_id() -> str:
    return str(uuid.uuid4())


def dataset(name: str, namespace: str = POSTGRES, **parts: Any) -> dict[str, Any]:
    return {"namespace": namespace, "name": name, **parts}


def run_event(
    event_type: str | None,
    run_id: str,
    job: str,
    *,
    namespace: str = "tests",
    at: str = "2026-12-01T10:00:00Z",
    inputs: list[dict[str, Any]] | None = None,
    outputs: list[dict[str, Any]] | None = None,
    run_facets: dict[str, Any] | None = None,
    job_facets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "eventTime": at,
        "producer": PRODUCER,
        "schemaURL": SCHEMA_URL,
        "run": {"runId": run_id, "facets": run_facets or {}},
        "job": {"namespace": namespace, "name": job, "facets": job_facets or {}},
        "inputs": inputs or [],
        "outputs": outputs or [],
    }
    if event_type is not None:
        event["eventType"] = event_type
    return event


def parent_facet(run_id: str, job: str, namespace: str = "tests") -> dict[str, Any]:
    return {
        "parent": {
            "_producer": PRODUCER,
            "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/ParentRunFacet.json",
            "run": {"runId": run_id},
            "job": {"namespace": namespace, "name": job},
        }
    }


def row_count(rows: int) -> dict[str, Any]:
    return {"outputStatistics": {"rowCount": rows, "size": rows * 10}}


async def send(client: httpx.AsyncClient, event: dict[str, Any], status: int = 201) -> Any:
    response = await client.post("/api/v1/lineage", json=event)
    assert response.status_code == status, response.text
    return response.json()


async def get_run(client: httpx.AsyncClient, execution_id: int) -> dict[str, Any]:
    response = await client.get(f"/pipeline_execution/{execution_id}")
    assert response.status_code == 200, response.text
    return response.json()


async def runs_of(client: httpx.AsyncClient, pipeline_id: int) -> list[dict[str, Any]]:
    response = await client.get("/pipeline_execution", params={"pipeline_id": pipeline_id})
    assert response.status_code == 200, response.text
    return response.json()
