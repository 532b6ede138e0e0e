"""`watcher jobs run`, run as a deployment runs it: a process of its own, stopped by SIGTERM."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import fresh_database
from tests.processes import free_port
from tests.receiver import AlertReceiver
from watcher_server.alerts.outbox import AlertDraft, AlertLevel, enqueue_alert
from watcher_server.clock import utcnow
from watcher_server.db import Database, migrate

WATCHER = [sys.executable, "-m", "watcher_server"]


async def _raise_alert(url: str) -> int:
    database = Database(url)
    try:
        async with database.transaction() as conn:
            draft = AlertDraft("test.cli", AlertLevel.INFO, "From the API", "hello")
            return await enqueue_alert(conn, draft, utcnow())
    finally:
        await database.dispose()


def test_jobs_run_delivers_alerts_and_stops_on_sigterm(tmp_path: Path) -> None:
    with fresh_database(tmp_path) as url, AlertReceiver() as receiver:
        migrate.upgrade(url)
        alert_id = asyncio.run(_raise_alert(url))  # written by an API process without jobs
        environment = {
            **os.environ,
            "DATABASE_URL": url,
            "WATCHER_ALERT_WEBHOOK_URL": f"{receiver.url}/hook",
            "WATCHER_ALERT_POLL_SECONDS": "0.1",
        }
        port = free_port()
        jobs = subprocess.Popen(
            [*WATCHER, "jobs", "run", "--metrics-port", str(port)],
            env=environment,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 30
            while not receiver.accepted and time.monotonic() < deadline:
                assert jobs.poll() is None, jobs.stderr.read().decode() if jobs.stderr else ""
                time.sleep(0.05)
            # Counted once the receiver has answered: a moment after it recorded the alert.
            while _delivered(port) != 1 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert _delivered(port) == 1
            jobs.send_signal(signal.SIGTERM)
            assert jobs.wait(timeout=15) == 0
        finally:
            if jobs.poll() is None:
                jobs.kill()
                jobs.wait()

    [received] = receiver.accepted
    assert received.json["id"] == alert_id


def _delivered(port: int) -> float | None:
    """What the jobs process's own metrics say it delivered to the webhook."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics").text
    labels = {"channel": "webhook", "result": "delivered"}
    return next(
        (
            sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == "watcher_alert_deliveries_total" and sample.labels == labels
        ),
        None,
    )
