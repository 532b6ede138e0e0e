"""Anomaly detection rules through the API: get-or-create, read, change, validation."""

import httpx
import pytest

from tests.conftest import app_client
from tests.factories import create_pipeline
from tests.races import assert_one_created, post_while_taken_and_freed
from watcher_server.settings import Settings

METRICS = {"duration_seconds", "inserts", "updates", "soft_deletes", "total_rows", "throughput"}


async def test_get_or_create_per_pipeline_and_metric(
    client: httpx.AsyncClient, unique: str
) -> None:
    pipeline_id = await create_pipeline(client, f"rules {unique}")
    body = {"pipeline_id": pipeline_id, "metric_field": "inserts", "z_threshold": 2.5}
    created = await client.post("/anomaly_detection_rule", json=body)
    assert created.status_code == 201, created.text
    again = await client.post("/anomaly_detection_rule", json={**body, "z_threshold": 9})
    assert (again.status_code, again.json()) == (200, created.json())

    rule = (await client.get(f"/anomaly_detection_rule/{created.json()['id']}")).json()
    assert rule["z_threshold"] == 2.5  # a number, and the existing rule kept its settings
    assert rule["std_deviation_threshold_multiplier"] == 2.5
    assert rule["metric_field"] == "inserts"
    assert (rule["lookback_days"], rule["minimum_executions"]) == (30, 7)
    assert (rule["seasonality"], rule["active"]) == ("none", True)


async def test_the_original_threshold_name_is_accepted(
    client: httpx.AsyncClient, unique: str
) -> None:
    pipeline_id = await create_pipeline(client, f"seed names {unique}")
    body = {
        "pipeline_id": pipeline_id,
        "metric_field": "DURATION_SECONDS",
        "std_deviation_threshold_multiplier": 2.0,
        "lookback_days": 10,
        "minimum_executions": 5,
    }
    created = await client.post("/anomaly_detection_rule", json=body)
    assert created.status_code == 201, created.text
    rule = (await client.get(f"/anomaly_detection_rule/{created.json()['id']}")).json()
    assert (rule["metric_field"], rule["z_threshold"], rule["lookback_days"]) == (
        "duration_seconds",
        2.0,
        10,
    )


@pytest.mark.parametrize(
    "change",
    [
        {"metric_field": "rows"},
        {"z_threshold": 0.5},
        {"z_threshold": 10.5},
        {"z_threshold": "NaN"},
        {"std_deviation_threshold_multiplier": 11},
        {"lookback_days": 0},
        {"lookback_days": 366},
        {"minimum_executions": 2},
        {"minimum_executions": 1001},
        {"seasonality": "hourly"},
        {"pipeline_id": 0},
    ],
)
async def test_invalid_rules_are_refused(
    client: httpx.AsyncClient, unique: str, change: dict
) -> None:
    pipeline_id = await create_pipeline(client, f"invalid rule {unique}")
    body = {"pipeline_id": pipeline_id, "metric_field": "inserts", **change}
    response = await client.post("/anomaly_detection_rule", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "VALIDATION_ERROR"


async def test_unknown_pipeline_or_rule_is_404(client: httpx.AsyncClient) -> None:
    body = {"pipeline_id": 2**62, "metric_field": "inserts"}
    response = await client.post("/anomaly_detection_rule", json=body)
    assert response.status_code == 404
    assert response.json()["message"] == f"pipeline {2**62} not found"
    assert (await client.get(f"/anomaly_detection_rule/{2**62}")).status_code == 404
    patch = await client.patch("/anomaly_detection_rule", json={"id": 2**62, "active": False})
    assert patch.status_code == 404
    listing = await client.get("/anomaly_detection_rule", params={"pipeline_id": 2**62})
    assert listing.status_code == 404


async def test_patch_changes_what_is_sent(client: httpx.AsyncClient, unique: str) -> None:
    pipeline_id = await create_pipeline(client, f"patch rule {unique}")
    body = {"pipeline_id": pipeline_id, "metric_field": "inserts"}
    rule_id = (await client.post("/anomaly_detection_rule", json=body)).json()["id"]
    response = await client.patch(
        "/anomaly_detection_rule",
        json={
            "id": rule_id,
            "std_deviation_threshold_multiplier": 4,
            "seasonality": "day_of_week",
            "active": False,
            "lookback_days": None,
        },
    )
    assert response.status_code == 200, response.text
    rule = response.json()
    assert (rule["z_threshold"], rule["seasonality"], rule["active"]) == (4.0, "day_of_week", False)
    assert rule["lookback_days"] == 30  # null leaves it unchanged
    assert rule["updated_at"] is not None
    moved = await client.patch(
        "/anomaly_detection_rule", json={"id": rule_id, "metric_field": "updates"}
    )
    assert moved.json()["metric_field"] == "updates"


async def test_patch_cannot_make_two_rules_of_one_metric(
    client: httpx.AsyncClient, unique: str
) -> None:
    pipeline_id = await create_pipeline(client, f"rule clash {unique}")
    ids = [
        (
            await client.post(
                "/anomaly_detection_rule", json={"pipeline_id": pipeline_id, "metric_field": metric}
            )
        ).json()["id"]
        for metric in ("inserts", "updates")
    ]
    clash = await client.patch(
        "/anomaly_detection_rule", json={"id": ids[1], "metric_field": "inserts"}
    )
    assert clash.status_code == 409
    elsewhere = await client.patch(
        "/anomaly_detection_rule", json={"id": ids[1], "pipeline_id": 2**62}
    )
    assert elsewhere.status_code == 404


async def test_concurrent_first_posts_create_one_rule(
    client: httpx.AsyncClient, unique: str
) -> None:
    pipeline_id = await create_pipeline(client, f"rule race {unique}")
    body = {"pipeline_id": pipeline_id, "metric_field": "inserts"}
    rule_id = await assert_one_created(client, "/anomaly_detection_rule", body)
    listed = await client.get("/anomaly_detection_rule", params={"pipeline_id": pipeline_id})
    assert [rule["id"] for rule in listed.json()] == [rule_id]


async def test_a_rule_moved_after_it_beat_our_insert_is_created_again(
    client: httpx.AsyncClient, settings: Settings, unique: str
) -> None:
    """Our insert meets the rule another call just created, which a PATCH moves to another
    metric before our lookup: the pair is free again, so this call creates the rule."""
    pipeline_id = await create_pipeline(client, f"rule moved {unique}")
    body = {"pipeline_id": pipeline_id, "metric_field": "inserts"}

    async def move(rule_id: int) -> httpx.Response:
        patch = {"id": rule_id, "metric_field": "updates"}
        return await client.patch("/anomaly_detection_rule", json=patch)

    response, theirs = await post_while_taken_and_freed(
        client, settings, "anomaly_detection_rule", "/anomaly_detection_rule", body, free=move
    )

    assert response.status_code == 201, response.text
    listed = await client.get("/anomaly_detection_rule", params={"pipeline_id": pipeline_id})
    metrics = {rule["id"]: rule["metric_field"] for rule in listed.json()}
    assert metrics == {theirs[0]: "updates", response.json()["id"]: "inserts"}


async def test_list_rules_of_a_pipeline(client: httpx.AsyncClient, unique: str) -> None:
    pipeline_id = await create_pipeline(client, f"list rules {unique}")
    for metric in ("throughput", "inserts"):
        body = {"pipeline_id": pipeline_id, "metric_field": metric}
        assert (await client.post("/anomaly_detection_rule", json=body)).status_code == 201
    response = await client.get("/anomaly_detection_rule", params={"pipeline_id": pipeline_id})
    assert [rule["metric_field"] for rule in response.json()] == ["throughput", "inserts"]
    everything = await client.get("/anomaly_detection_rule", params={"limit": 10_000})
    assert len(everything.json()) >= 2


async def test_new_pipelines_get_a_rule_per_metric_when_asked(
    settings: Settings, client: httpx.AsyncClient, unique: str
) -> None:
    existing = await create_pipeline(client, f"before auto {unique}")
    auto = settings.model_copy(update={"watcher_auto_create_anomaly_detection_rules": True})
    async with app_client(auto) as http:
        created = await create_pipeline(http, f"auto rules {unique}")
        await create_pipeline(http, f"before auto {unique}")  # exists: left alone
        rules = (await http.get("/anomaly_detection_rule", params={"pipeline_id": created})).json()
        untouched = await http.get("/anomaly_detection_rule", params={"pipeline_id": existing})
    assert {rule["metric_field"] for rule in rules} == METRICS
    assert all(
        (r["z_threshold"], r["lookback_days"], r["minimum_executions"], r["active"])
        == (3.0, 30, 7, True)
        for r in rules
    )
    assert untouched.json() == []
    assert (await client.get("/anomaly_detection_rule", params={"pipeline_id": created})).json()
