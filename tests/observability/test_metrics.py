"""GET /metrics after real requests, parsed with prometheus_client's own parser."""

from datetime import UTC, datetime

import httpx

from tests.conftest import app_client
from tests.factories import create_pipeline, end_run, start_run
from tests.observability.conftest import scrape, value
from watcher_server.alerts.outbox import AlertDraft, AlertLevel, enqueue_alert
from watcher_server.settings import Settings


async def test_requests_are_counted_by_route_template_never_by_raw_path(
    client: httpx.AsyncClient, unique: str
) -> None:
    pipeline_id = await create_pipeline(client, f"metrics-{unique}")
    before = await scrape(client)
    for _ in range(3):
        assert (await client.get(f"/pipeline/{pipeline_id}")).status_code == 200
    assert (await client.get(f"/no/such/{unique}")).status_code == 404
    after = await scrape(client)

    route = {"method": "GET", "route": "/pipeline/{pipeline_id}"}
    counted = "watcher_http_requests_total"
    assert (
        value(after, counted, **route, status="200") - value(before, counted, **route, status="200")
        == 3
    )
    timed = "watcher_http_request_duration_seconds_count"
    assert value(after, timed, **route) - value(before, timed, **route) == 3
    unmatched = {"method": "GET", "route": "unmatched", "status": "404"}
    assert value(after, counted, **unmatched) - value(before, counted, **unmatched) == 1
    routes = {dict(labels).get("route") for _, labels in after}
    assert not any(str(pipeline_id) in (route or "") or unique in (route or "") for route in routes)


async def test_runs_started_and_ended_are_counted_once_by_outcome(
    client: httpx.AsyncClient, unique: str
) -> None:
    pipeline_id = await create_pipeline(client, f"metrics-runs-{unique}")
    before = await scrape(client)
    succeeded = await start_run(client, pipeline_id)
    failed = await start_run(client, pipeline_id)
    assert (await end_run(client, succeeded, completed_successfully=True)).status_code == 204
    assert (await end_run(client, failed, completed_successfully=False)).status_code == 204
    # A client retrying the same end changes nothing, and counts nothing.
    assert (await end_run(client, failed, completed_successfully=False)).status_code == 204
    after = await scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("watcher_pipeline_executions_started_total") == 2
    assert delta("watcher_pipeline_executions_ended_total", outcome="succeeded") == 1
    assert delta("watcher_pipeline_executions_ended_total", outcome="failed") == 1


async def test_pipelines_are_counted_by_health_status(
    client: httpx.AsyncClient, unique: str
) -> None:
    before = await scrape(client)
    failing = await create_pipeline(client, f"metrics-failed-{unique}")
    await end_run(client, await start_run(client, failing), completed_successfully=False)
    await create_pipeline(client, f"metrics-new-{unique}")
    after = await scrape(client)

    assert (
        value(after, "watcher_pipelines", status="failed")
        - value(before, "watcher_pipelines", status="failed")
        == 1
    )
    assert (
        value(after, "watcher_pipelines", status="never-run")
        - value(before, "watcher_pipelines", status="never-run")
        == 1
    )
    for name in (
        "watcher_alerts_pending",
        "watcher_anomaly_detection_queue",
        "watcher_db_pool_size",
    ):
        assert (name, ()) in after


async def test_metrics_can_be_turned_off(settings: Settings) -> None:
    async with app_client(settings.model_copy(update={"watcher_metrics": False})) as http:
        assert (await http.get("/metrics")).status_code == 404
        assert "X-Request-ID" in (await http.get("/health")).headers


async def test_alerts_waiting_for_delivery_are_counted(settings: Settings, unique: str) -> None:
    async with app_client(settings) as http:
        database = http._transport.app.state.database  # type: ignore[attr-defined]
        before = await scrape(http)
        async with database.transaction() as conn:
            draft = AlertDraft(f"test.{unique}", AlertLevel.WARNING, "Test", f"alert {unique}")
            await enqueue_alert(conn, draft, datetime.now(UTC))
        after = await scrape(http)
    assert value(after, "watcher_alerts_pending") - value(before, "watcher_alerts_pending") == 1


async def test_a_request_refused_for_want_of_a_key_has_an_id_and_is_counted_by_route(
    settings: Settings, client: httpx.AsyncClient
) -> None:
    before = await scrape(client)
    async with app_client(settings.model_copy(update={"watcher_auth": "required"})) as guarded:
        refused = await guarded.get("/pipeline/1")
    assert refused.status_code == 401
    assert len(refused.headers["X-Request-ID"]) == 32
    after = await scrape(client)
    # Refused before routing, yet counted under the route it asked for.
    labels = {"method": "GET", "route": "/pipeline/{pipeline_id}", "status": "401"}
    counted = "watcher_http_requests_total"
    assert value(after, counted, **labels) - value(before, counted, **labels) == 1
