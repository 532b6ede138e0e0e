"""No input to the address and lineage endpoints makes a 500."""

import json
import string

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import address, create_pipeline

URL_SAFE = string.ascii_letters + string.digits + "-._~"
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(), children, max_size=3)
    ),
    max_leaves=8,
)
address_fields = st.sampled_from(
    [
        "name",
        "address_name",
        "address_type_name",
        "address_type_group_name",
        "group_name",
        "database_name",
        "primary_key",
        "address_metadata",
        "id",
        "address_type_id",
    ]
)
bodies = st.dictionaries(address_fields, json_values) | st.builds(
    lambda fields, sources, targets: {
        **fields,
        "source_addresses": sources,
        "target_addresses": targets,
    },
    st.dictionaries(st.just("pipeline_id"), st.integers() | st.text()),
    st.lists(st.dictionaries(address_fields, json_values) | json_values, max_size=2),
    st.lists(st.dictionaries(address_fields, json_values), max_size=2),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    request=st.tuples(
        st.sampled_from(
            [
                ("POST", "/address"),
                ("POST", "/address_type"),
                ("PATCH", "/address"),
                ("PATCH", "/address_type"),
                ("POST", "/address_lineage"),
            ]
        ),
        bodies,
    )
)
async def test_no_body_makes_a_500(client: httpx.AsyncClient, request: tuple) -> None:
    (method, path), body = request
    response = await client.request(
        method, path, content=json.dumps(body), headers={"content-type": "application/json"}
    )
    assert response.status_code < 500, response.text


@settings(max_examples=40, deadline=None)
@given(
    address_id=st.integers() | st.text(URL_SAFE, max_size=5),
    query=st.dictionaries(
        st.sampled_from(["depth", "direction", "limit", "offset"]),
        st.integers() | st.text(max_size=6) | st.sampled_from(["all", "both", "upstream"]),
    ),
)
async def test_no_query_makes_a_500(
    client: httpx.AsyncClient, address_id: object, query: dict
) -> None:
    for path in (f"/lineage/{address_id}", f"/address_lineage/{address_id}"):
        response = await client.get(path, params=query)
        assert response.status_code < 500, response.text


async def test_a_pipeline_may_declare_a_table_as_both_source_and_target(
    client: httpx.AsyncClient, unique: str
) -> None:
    pipeline_id = await create_pipeline(client, f"self {unique}")
    table = address(f"t {unique}")
    response = await client.post(
        "/address_lineage",
        json={"pipeline_id": pipeline_id, "source_addresses": [table], "target_addresses": [table]},
    )
    assert response.status_code == 201
    assert response.json()["lineage_relationships_created"] == 1
