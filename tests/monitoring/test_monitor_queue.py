"""POST /celery/monitor-queue: the health of the alert queue and of the scheduler."""

import httpx

from tests.clock import MovableClock
from tests.factories import create_pipeline


async def test_monitor_reports_waiting_alerts_and_every_job(
    http: httpx.AsyncClient, clock: MovableClock, unique: str
) -> None:
    await create_pipeline(http, f"quiet {unique}", freshness_number=1, freshness_datepart="minute")
    clock.advance(minutes=2)
    assert (await http.post("/freshness")).json()["new_count"] >= 1
    clock.advance(minutes=20)  # no delivery job runs in this app: the alert waits

    response = await http.post("/celery/monitor-queue")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "warning"
    assert body["background_jobs_in_this_process"] is False
    assert body["total_pending"] == body["alerts"]["pending_alerts"] >= 1
    assert body["alerts"]["oldest_pending_age_seconds"] >= 20 * 60
    assert any("has waited" in problem for problem in body["problems"])
    jobs = {job["name"]: job for job in body["jobs"]}
    assert list(jobs) == [
        "timeliness_check",
        "freshness_check",
        "alert_delivery",
        "anomaly_detection",
    ]
    assert jobs["timeliness_check"]["schedule"] == "*/15 * * * *"
    assert jobs["alert_delivery"]["every_seconds"] == 2.0


async def test_the_sdk_call_without_a_body_succeeds(http: httpx.AsyncClient) -> None:
    response = await http.post("/celery/monitor-queue", content=b"")
    assert response.status_code == 200
    assert response.json()["status"] in ("success", "warning")
