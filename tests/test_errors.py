"""Bad input gets a 4xx naming the field; nothing gets 500.

A database that cannot serve a call gets 503: tests/test_database_unavailable.py.
"""

import json

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import create_pipeline, get_pipeline, start_run


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
