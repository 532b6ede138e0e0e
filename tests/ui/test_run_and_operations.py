"""The run page's timeline, the alerts page's delivery states, the diagnostics page."""

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.receiver import AlertReceiver
from tests.ui.conftest import Console
from tests.ui.data import ago, create_pipeline, run
from watcher_server.alerts.delivery import deliver_alerts
from watcher_server.alerts.outbox import AlertDraft, AlertLevel, enqueue_alert
from watcher_server.clock import utcnow
from watcher_server.db import Database, migrate
from watcher_server.jobs.spec import JobContext
from watcher_server.settings import Settings


def test_the_timeline_has_a_bar_per_nested_run(console: Console, api: httpx.Client) -> None:
    tag = uuid.uuid4().hex[:8]
    parent = create_pipeline(api, f"tree_{tag}_parent")
    child = create_pipeline(api, f"tree_{tag}_child")
    root = run(api, parent, ago(minutes=30), None)
    first = run(api, child, ago(minutes=29), ago(minutes=20), parent_id=root)
    failed = run(api, child, ago(minutes=19), ago(minutes=15), succeeded=False, parent_id=root)
    nested = run(api, child, ago(minutes=28), ago(minutes=25), parent_id=first)

    page = console.open(f"/ui/runs/{root}")
    assert page.title() == f"Run {root} of tree_{tag}_parent · Watcher"
    bars = page.locator("#timeline .bar")
    assert bars.count() == 4
    ids = [int(bar.get_attribute("data-run-id")) for bar in bars.all()]
    assert ids == [root, first, nested, failed]  # depth first, children by start
    assert page.locator(f'.bar[data-run-id="{failed}"]').inner_text().startswith("failed")
    running = page.locator(f'.bar[data-run-id="{root}"]')
    assert running.inner_text().startswith("running")
    track = running.locator("xpath=..").bounding_box()
    bar = running.bounding_box()
    assert abs((bar["x"] + bar["width"]) - (track["x"] + track["width"])) < 2  # reaches now

    page.get_by_role("link", name=f"#{nested}").click()
    page.wait_for_url(f"**/ui/runs/{nested}")
    assert "nested in" in page.locator(".subtitle").inner_text()


def test_an_unknown_run_is_a_404_page(console: Console) -> None:
    page = console.open("/ui/runs/987654321", status=404)
    assert "run 987654321" in page.locator("main").inner_text()


async def _alerts_in_three_states(database_url: str, pipeline_id: int) -> dict[str, int]:
    """An alert routed while no channel was configured, one delivered, one failing."""
    database = Database(database_url, pool_size=2)
    ids = {}
    try:
        async with httpx.AsyncClient(timeout=2) as http:
            receiver = AlertReceiver()
            receiver.start()
            with_channels = Settings(
                _env_file=None,
                database_url=database_url,
                slack_webhook_url=f"{receiver.url}/slack",
                watcher_alert_webhook_url=f"{receiver.url}/hook",
                watcher_alert_timeout_seconds=2,
            )
            without = Settings(_env_file=None, database_url=database_url)
            for state, settings in (
                ("undeliverable", without),
                ("delivered", with_channels),
                ("retrying", with_channels),
            ):
                receiver.failing = 503 if state == "retrying" else None
                async with database.transaction() as conn:
                    draft = AlertDraft(
                        kind="freshness.stale",
                        level=AlertLevel.WARNING,
                        title=f"alert that is {state}",
                        message=state,
                        pipeline_id=pipeline_id,
                    )
                    ids[state] = await enqueue_alert(conn, draft, utcnow())
                await deliver_alerts(JobContext(database, settings, utcnow, http))
            receiver.stop()
    finally:
        await database.dispose()
    return ids


def test_alerts_show_each_channels_delivery(
    console: Console, api: httpx.Client, database_url: str
) -> None:
    pipeline_id = create_pipeline(api, f"alerted_{uuid.uuid4().hex[:8]}")
    # Playwright's own event loop runs in this thread: the delivery job gets a thread of its own.
    with ThreadPoolExecutor(1) as thread:
        ids = thread.submit(
            asyncio.run, _alerts_in_three_states(database_url, pipeline_id)
        ).result()

    page = console.open(f"/ui/alerts?pipeline={pipeline_id}")
    assert page.title() == f"Alerts of pipeline {pipeline_id} · Watcher"
    rows = page.locator("#alerts tbody tr")
    assert rows.count() == 3
    assert [int(r.get_attribute("data-alert-id")) for r in rows.all()] == sorted(
        ids.values(), reverse=True
    )
    undeliverable = page.locator(f'tr[data-alert-id="{ids["undeliverable"]}"]')
    assert "undeliverable" in undeliverable.inner_text()
    delivered = page.locator(f'tr[data-alert-id="{ids["delivered"]}"] li')
    assert [li.locator(".status").inner_text() for li in delivered.all()] == ["delivered"] * 2
    retrying = page.locator(f'tr[data-alert-id="{ids["retrying"]}"] li').first
    assert retrying.locator(".status").inner_text() == "retrying"
    assert "next attempt" in retrying.inner_text()
    assert "503" in retrying.inner_text()

    page.get_by_label("Delivery").select_option("undeliverable")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(f"**/ui/alerts?kind=&status=undeliverable&pipeline={pipeline_id}")
    assert page.locator("#alerts tbody tr").count() == 1


def test_diagnostics_describe_the_database_jobs_and_queues(
    console: Console, database_url: str
) -> None:
    page = console.open("/ui/diagnostics")
    database = page.locator("#database").inner_text()
    assert ("postgresql" if database_url.startswith("postgresql") else "sqlite") in database
    assert migrate.head_revision() in database
    assert "expected" not in database
    jobs = [row.get_attribute("data-job") for row in page.locator("#jobs tbody tr").all()]
    assert {"timeliness_check", "freshness_check", "alert_delivery"} <= set(jobs)
    assert "off" in page.locator("#process").inner_text()  # the test server runs no jobs
    assert "Anomaly detections waiting" in page.locator("#queues").inner_text()
