"""No input to the monitoring endpoints, and no stored value, makes a 500."""

import json

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.clock import MovableClock
from tests.factories import create_pipeline, end_run, start_run

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(), children, max_size=3)
    ),
    max_leaves=6,
)
query_values = st.text(max_size=12) | st.integers().map(str)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=json_values | st.dictionaries(st.just("lookback_minutes"), json_values))
async def test_any_timeliness_body_is_answered_without_500(
    http: httpx.AsyncClient, body: object
) -> None:
    response = await http.post(
        "/timeliness", content=json.dumps(body), headers={"content-type": "application/json"}
    )
    assert response.status_code in (200, 422), response.text


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from(
        ["/alert", "/timeliness_pipeline_execution_log", "/freshness_pipeline_log"]
    ),
    params=st.dictionaries(
        st.sampled_from(["status", "pipeline_id", "kind", "limit", "offset"]), query_values
    ),
)
async def test_any_query_is_answered_without_500(
    http: httpx.AsyncClient, path: str, params: dict[str, str]
) -> None:
    response = await http.get(path, params=params)
    assert response.status_code in (200, 404, 422), response.text


async def test_extreme_thresholds_and_times_are_checked_without_500(
    http: httpx.AsyncClient, clock: MovableClock, unique: str
) -> None:
    forever = {"number": 2**31 - 1, "datepart": "year"}
    pipeline_id = await create_pipeline(
        http,
        f"forever {unique}",
        **{
            f"{check}_{key}": value
            for check in ("freshness", "timeliness")
            for key, value in forever.items()
        },
    )
    await start_run(http, pipeline_id, start_date="0001-01-01T00:00:00Z")  # still running
    future = await start_run(http, pipeline_id, start_date="9999-12-31T00:00:00Z")
    assert (
        await end_run(http, future, end_date="9999-12-31T23:59:59Z", inserts=1)
    ).status_code == 204

    for path in ("/timeliness", "/freshness"):
        response = await http.post(path)
        assert response.status_code == 200, response.text
        assert all(item["pipeline_id"] != pipeline_id for item in response.json()["items"])
