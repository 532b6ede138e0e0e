"""Datasets become addresses with their namespace and facets; DatasetEvent and JobEvent."""

from typing import Any

import httpx

from tests.openlineage.events import dataset, new_run_id, run_event, send

SCHEMA = {"schema": {"fields": [{"name": "id", "type": "INTEGER"}, {"name": "total"}]}}
COLUMNS = {
    "columnLineage": {
        "fields": {"total": {"inputFields": [{"namespace": "x", "name": "y", "field": "amount"}]}}
    }
}


async def address_named(client: httpx.AsyncClient, ids: list[int], name: str) -> dict[str, Any]:
    for address_id in ids:
        row = (await client.get(f"/address/{address_id}")).json()
        if row["name"] == name:
            return row
    raise AssertionError(f"no address {name!r} among {ids}")


async def address_type(client: httpx.AsyncClient, type_id: int) -> tuple[str, str]:
    row = (await client.get(f"/address_type/{type_id}")).json()
    return row["name"], row["group_name"]


async def test_datasets_are_addresses_typed_by_their_namespace(
    client: httpx.AsyncClient, unique: str
) -> None:
    inputs = [
        dataset(f"analytics.raw.Events_{unique}", namespace="snowflake://acme.eu-west-1"),
        dataset(f"landing/{unique}/day.csv", namespace="s3://acme-bucket"),
        dataset(f"clicks_{unique}", namespace="kafka://broker:9092"),
        dataset(f"proj.ds.t_{unique}", namespace="bigquery"),
        dataset(f"/data/{unique}.parquet", namespace="file"),
        dataset(f"thing_{unique}", namespace="somewhere-else"),
    ]
    out = await send(client, run_event("START", new_run_id(), f"typed_{unique}", inputs=inputs))

    expected = {
        f"analytics.raw.events_{unique}": ("snowflake", "database"),
        f"s3://acme-bucket/landing/{unique}/day.csv": ("s3", "file"),
        f"clicks_{unique}": ("kafka", "stream"),
        f"proj.ds.t_{unique}": ("bigquery", "database"),
        f"file:///data/{unique}.parquet": ("file", "file"),
        f"thing_{unique}": ("openlineage", "other"),
    }
    for name, kind in expected.items():
        row = await address_named(client, out["address_ids"], name)
        assert await address_type(client, row["address_type_id"]) == kind
    table = await address_named(client, out["address_ids"], f"analytics.raw.events_{unique}")
    assert (table["database_name"], table["schema_name"]) == ("analytics", "raw")
    section = table["address_metadata"]["openlineage"]
    assert section["namespace"] == "snowflake://acme.eu-west-1"
    assert section["name"] == f"analytics.raw.Events_{unique}"


async def test_schema_column_lineage_and_unknown_facets_are_kept_with_the_address(
    client: httpx.AsyncClient, unique: str
) -> None:
    name = f"db.mart.facets_{unique}"
    custom = {"acme_owner": {"_producer": "acme", "team": "sales"}}
    writer = run_event(
        "COMPLETE",
        new_run_id(),
        f"writer_{unique}",
        outputs=[dataset(name, facets={**SCHEMA, **COLUMNS, **custom})],
    )
    # A later reader reports the table with its schema only: nothing is lost.
    reader = run_event(
        "START", new_run_id(), f"reader_{unique}", inputs=[dataset(name, facets=SCHEMA)]
    )

    out = await send(client, writer)
    await send(client, reader)

    row = await address_named(client, out["address_ids"], name)
    assert row["address_metadata"]["openlineage"]["facets"] == {**SCHEMA, **COLUMNS, **custom}


async def test_a_dataset_event_declares_its_address(client: httpx.AsyncClient, unique: str) -> None:
    event = {
        "eventTime": "2026-12-01T10:00:00Z",
        "producer": "tests",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent",
        "dataset": dataset(f"db.s.standalone_{unique}", facets=SCHEMA),
    }

    out = await send(client, event)

    row = await address_named(client, out["address_ids"], f"db.s.standalone_{unique}")
    assert row["address_metadata"]["openlineage"]["facets"] == SCHEMA


async def test_a_job_event_declares_its_pipeline_and_lineage(
    client: httpx.AsyncClient, unique: str
) -> None:
    event = {
        "eventTime": "2026-12-01T10:00:00Z",
        "producer": "tests",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/JobEvent",
        "job": {"namespace": "tests", "name": f"declared_{unique}"},
        "inputs": [dataset(f"db.s.job_in_{unique}")],
        "outputs": [dataset(f"db.s.job_out_{unique}")],
    }

    out = await send(client, event)

    source = await address_named(client, out["address_ids"], f"db.s.job_in_{unique}")
    graph = await client.get(f"/lineage/{source['id']}", params={"direction": "downstream"})
    edges = graph.json()["edges"]
    assert [edge["pipelines"][0]["id"] for edge in edges] == [out["pipeline_id"]]
    assert await client.get(f"/pipeline_execution?pipeline_id={out['pipeline_id']}") is not None


async def test_a_1_0_x_event_is_accepted(client: httpx.AsyncClient, unique: str) -> None:
    event = {
        "eventType": "COMPLETE",
        "eventTime": "2026-12-01T10:00:00.123456+01:00",
        "producer": "https://github.com/OpenLineage/OpenLineage/tree/0.3.1/integration/airflow",
        "schemaURL": "https://openlineage.io/spec/1-0-5/OpenLineage.json#/definitions/RunEvent",
        "run": {"runId": new_run_id()},
        "job": {"namespace": "legacy", "name": f"old_{unique}"},
        "outputs": [
            {
                "namespace": "postgres://db:5432",
                "name": f"db.s.old_{unique}",
                "facets": {"outputStatistics": {"rowCount": 7}},
            }
        ],
    }

    out = await send(client, event)

    run = (await client.get(f"/pipeline_execution/{out['execution_id']}")).json()
    assert (run["status"], run["total_rows"], run["end_date"]) == (
        "succeeded",
        7,
        "2026-12-01T09:00:00.123456Z",
    )
