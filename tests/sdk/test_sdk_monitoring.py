"""The SDK's check triggers reach Watcher's synchronous checks; findings are stored."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from tests.sdk.conftest import run_sdk


def test_trigger_timeliness_check_logs_an_overdue_run(
    sdk_python: Path, watcher_url: str, unique: str
) -> None:
    with httpx.Client(base_url=watcher_url) as http:
        pipeline_id = http.post(
            "/pipeline",
            json={
                "name": f"slow {unique}",
                "pipeline_type_name": "sdk",
                "timeliness_number": 1,
                "timeliness_datepart": "minute",
            },
        ).json()["id"]
        started = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
        run_id = http.post(
            "/start_pipeline_execution", json={"pipeline_id": pipeline_id, "start_date": started}
        ).json()["id"]

        run_sdk(
            sdk_python,
            watcher_url,
            "client.trigger_timeliness_check(lookback_minutes=60)\nresult = None",
        )

        logged = http.get(
            "/timeliness_pipeline_execution_log", params={"pipeline_id": pipeline_id}
        ).json()
        alerts = http.get("/alert", params={"pipeline_id": pipeline_id}).json()
    assert [(row["pipeline_execution_id"], row["execution_status"]) for row in logged] == [
        (run_id, "running")
    ]
    assert len(alerts) == 1


def test_trigger_freshness_check_logs_a_stale_pipeline(
    sdk_python: Path, watcher_url: str, unique: str
) -> None:
    with httpx.Client(base_url=watcher_url) as http:
        pipeline_id = http.post(
            "/pipeline",
            json={
                "name": f"stale {unique}",
                "pipeline_type_name": "sdk",
                "freshness_number": 1,
                "freshness_datepart": "hour",
            },
        ).json()["id"]
        long_ago = datetime.now(UTC) - timedelta(hours=3)
        run_id = http.post(
            "/start_pipeline_execution",
            json={"pipeline_id": pipeline_id, "start_date": long_ago.isoformat()},
        ).json()["id"]
        http.post(
            "/end_pipeline_execution",
            json={
                "id": run_id,
                "end_date": (long_ago + timedelta(minutes=1)).isoformat(),
                "inserts": 1,
            },
        )

        run_sdk(sdk_python, watcher_url, "client.trigger_freshness_check()\nresult = None")

        logged = http.get("/freshness_pipeline_log", params={"pipeline_id": pipeline_id}).json()
    assert [row["pipeline_id"] for row in logged] == [pipeline_id]


def test_trigger_celery_queue_check_answers_with_queue_health(
    sdk_python: Path, watcher_url: str
) -> None:
    run_sdk(sdk_python, watcher_url, "client.trigger_celery_queue_check()\nresult = None")
    with httpx.Client(base_url=watcher_url) as http:
        health = http.post("/celery/monitor-queue").json()
    assert health["status"] in ("success", "warning")
    assert "total_pending" in health
