"""Bad input gets a 4xx naming the field; an unreachable database gets 503; nothing gets 500."""

import json

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import app_client
from tests.factories import create_pipeline, get_pipeline, start_run
from watcher_server.settings import Settings


async def post_raw(client: httpx.AsyncClient, path: str, payload: str) -> httpx.Response:
    return await client.post(path, content=payload, headers={"content-type": "application/json"})


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "a\u0000b", "pipeline_type_name": "t"}, "name"),
        (
            {"name": "ok", "pipeline_type_name": "t", "pipeline_metadata": {"k": ["\u0000"]}},
            "pipeline_metadata",
        ),
        (
            {"name": "ok", "pipeline_type_name": "t", "pipeline_metadata": {"\u0000": 1}},
            "pipeline_metadata",
        ),
        ({"name": "ok", "pipeline_type_name": "t", "next_watermark": "x" * 256}, "next_watermark"),
        ({"name": "ok", "pipeline_type_name": "t", "next_watermark": True}, "next_watermark"),
        ({"name": "x" * 151, "pipeline_type_name": "t"}, "name"),
        ({"name": "   ", "pipeline_type_name": "t"}, "name"),
        (
            {
                "name": "ok",
                "pipeline_type_name": "t",
                "freshness_number": 2**40,
                "freshness_datepart": "day",
            },
            "freshness_number",
        ),
        ({"pipeline_type_name": "t"}, "name"),
    ],
)
async def test_bad_pipeline_input_names_the_field(
    client: httpx.AsyncClient, body: dict, field: str
) -> None:
    response = await client.post("/pipeline", json=body)

    assert response.status_code == 422
    error = response.json()
    assert error["code"] == "VALIDATION_ERROR"
    assert error["message"].startswith(field)
    assert error["detail"][0]["loc"][:2] == ["body", field]


async def test_non_finite_numbers_in_metadata_are_rejected(
    client: httpx.AsyncClient, unique: str
) -> None:
    pipeline_id = await create_pipeline(client, f"nan {unique}")
    run = await start_run(client, pipeline_id)
    payload = f'{{"id": {run}, "execution_metadata": {{"ratio": NaN}}}}'
    response = await post_raw(client, "/end_pipeline_execution", payload)
    assert response.status_code == 422
    assert response.json()["message"].startswith("execution_metadata")


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("/pipeline", "{not json"),
        ("/pipeline", "[1, 2]"),
        ("/pipeline", '"text"'),
        ("/start_pipeline_execution", '{"pipeline_id": 1, "start_date": "yesterday"}'),
        ("/start_pipeline_execution", '{"pipeline_id": 99999999999999999999999}'),
        ("/end_pipeline_execution", '{"id": 1, "total_rows": 99999999999999999999}'),
        ("/end_pipeline_execution", '{"id": 1, "end_date": "2026-13-45T00:00:00"}'),
    ],
)
async def test_malformed_bodies_are_422(client: httpx.AsyncClient, path: str, payload: str) -> None:
    response = await post_raw(client, path, payload)
    assert response.status_code == 422
    assert response.json()["message"]


async def test_values_up_to_64_bits_are_stored(client: httpx.AsyncClient, unique: str) -> None:
    pipeline_id = await create_pipeline(client, f"big {unique}")
    run = await start_run(client, pipeline_id)
    big = 2**63 - 1
    response = await client.post(
        "/end_pipeline_execution", json={"id": run, "total_rows": big, "inserts": 10**15}
    )
    assert response.status_code == 204
    stored = (await client.get(f"/pipeline_execution/{run}")).json()
    assert (stored["total_rows"], stored["inserts"]) == (big, 10**15)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(), children, max_size=3)
    ),
    max_leaves=8,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from(
        ["/pipeline", "/pipeline_type", "/start_pipeline_execution", "/end_pipeline_execution"]
    ),
    body=st.dictionaries(
        st.sampled_from(
            [
                "name",
                "pipeline_type_name",
                "pipeline_id",
                "id",
                "start_date",
                "end_date",
                "next_watermark",
                "pipeline_metadata",
                "execution_metadata",
                "freshness_number",
                "freshness_datepart",
                "parent_id",
                "inserts",
                "completed_successfully",
            ]
        ),
        json_values,
    ),
)
async def test_no_input_makes_a_500(client: httpx.AsyncClient, path: str, body: dict) -> None:
    response = await post_raw(client, path, json.dumps(body))
    assert response.status_code < 500, response.text


async def test_patch_with_arbitrary_input_never_500s(
    client: httpx.AsyncClient, unique: str
) -> None:
    pipeline_id = await create_pipeline(client, f"fuzz {unique}")
    for body in (
        {"id": pipeline_id, "name": None},
        {"id": pipeline_id, "active": None},
        {"id": pipeline_id, "pipeline_metadata": [1]},
        {"id": pipeline_id, "watermark": {}},
    ):
        response = await client.patch("/pipeline", json=body)
        assert response.status_code in (200, 422), (body, response.text)
    assert (await get_pipeline(client, pipeline_id))["name"] == f"fuzz {unique}"


@pytest.mark.parametrize(
    "url",
    ["postgresql://watcher@127.0.0.1:1/nowhere", "sqlite:////nonexistent-dir/deeper/watcher.db"],
)
async def test_unreachable_database_answers_503_with_retry_after(url: str) -> None:
    async with app_client(Settings(_env_file=None, database_url=url)) as http:
        assert (await http.get("/health")).status_code == 200
        ready = await http.get("/ready")
        write = await http.post("/pipeline", json={"name": "p", "pipeline_type_name": "t"})

    for response in (ready, write):
        assert response.status_code == 503
        assert response.headers["retry-after"] == "2"
        assert response.json()["code"] == "DATABASE_UNAVAILABLE"


async def test_service_recovers_after_its_connections_are_killed(
    settings: Settings, unique: str
) -> None:
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("connection loss is a PostgreSQL scenario; SQLite is a local file")
    async with app_client(settings) as http:
        pipeline_id = await create_pipeline(http, f"restart {unique}")
        await _terminate_other_connections(settings.async_database_url)

        after = [await http.get(f"/pipeline/{pipeline_id}") for _ in range(3)]

    assert after[0].status_code in (200, 503)
    assert [response.status_code for response in after[1:]] == [200, 200]


async def _terminate_other_connections(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
    finally:
        await engine.dispose()
