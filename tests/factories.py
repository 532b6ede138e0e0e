"""Small helpers that build data through the API, the way users do."""

from typing import Any

import httpx


async def create_pipeline(client: httpx.AsyncClient, name: str, **fields: Any) -> int:
    body = {"name": name, "pipeline_type_name": fields.pop("pipeline_type_name", "extraction")}
    response = await client.post("/pipeline", json={**body, **fields})
    assert response.status_code in (200, 201), response.text
    return response.json()["id"]


async def start_run(client: httpx.AsyncClient, pipeline_id: int, **fields: Any) -> int:
    response = await client.post(
        "/start_pipeline_execution", json={"pipeline_id": pipeline_id, **fields}
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def end_run(client: httpx.AsyncClient, execution_id: int, **fields: Any) -> httpx.Response:
    return await client.post("/end_pipeline_execution", json={"id": execution_id, **fields})


async def get_pipeline(client: httpx.AsyncClient, pipeline_id: int) -> dict[str, Any]:
    response = await client.get(f"/pipeline/{pipeline_id}")
    assert response.status_code == 200, response.text
    return response.json()


def address(name: str, **fields: Any) -> dict[str, Any]:
    """An address as POST /address and lineage bodies take it (a table, by default)."""
    return {
        "name": name,
        "address_type_name": fields.pop("address_type_name", "postgres"),
        "address_type_group_name": fields.pop("address_type_group_name", "database"),
        **fields,
    }


async def create_address(client: httpx.AsyncClient, name: str, **fields: Any) -> int:
    response = await client.post("/address", json=address(name, **fields))
    assert response.status_code in (200, 201), response.text
    return response.json()["id"]


async def post_lineage(
    client: httpx.AsyncClient,
    pipeline_id: int,
    sources: list[str | dict[str, Any]],
    targets: list[str | dict[str, Any]],
) -> httpx.Response:
    """Declare a pipeline's lineage; plain strings are table names."""
    return await client.post(
        "/address_lineage",
        json={
            "pipeline_id": pipeline_id,
            "source_addresses": [address(a) if isinstance(a, str) else a for a in sources],
            "target_addresses": [address(a) if isinstance(a, str) else a for a in targets],
        },
    )
