"""`watcher serve --workers 2`: real processes on one port, with one set of metrics, console
forms that either accepts, and background jobs that still do each piece of work once."""

import asyncio
import json
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import fresh_database
from tests.receiver import AlertReceiver
from watcher_server.alerts.outbox import AlertDraft, AlertLevel, enqueue_alert
from watcher_server.db import Database, migrate

ROUNDS = 10
POOL_SIZE = 3
BURST = 16


@dataclass
class Served:
    base: str
    database_url: str
    log: Path
    receiver: AlertReceiver

    def workers_of(self, request_ids: list[str]) -> dict[str, int]:
        """Request id → the process that served it, from the access lines (each is written
        just after its response, so it may be a moment behind it)."""
        deadline = time.monotonic() + 10
        while True:
            served = {}
            for text in self.log.read_text().splitlines():
                line = json.loads(text)
                if line["logger"] == "watcher.access":
                    served[line["request_id"]] = line["process"]
            if set(request_ids) <= served.keys() or time.monotonic() > deadline:
                return {request_id: served[request_id] for request_id in request_ids}
            time.sleep(0.05)

    def metrics(self) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
        text = httpx.get(f"{self.base}/metrics").text
        return {
            (sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    directory = tmp_path_factory.mktemp("workers")
    with fresh_database(directory) as url, AlertReceiver() as receiver:
        migrate.upgrade(url)
        log = directory / "serve.log"
        with watcher_workers(url, log, receiver) as base:
            yield Served(base, url, log, receiver)


def watcher_workers(url: str, log: Path, receiver: AlertReceiver) -> Any:
    from tests.processes import watcher_server

    return watcher_server(
        url,
        "--workers",
        "2",
        log=log,
        WATCHER_ACCESS_LOG="true",
        WATCHER_LOG_FORMAT="json",
        WATCHER_ALERT_WEBHOOK_URL=f"{receiver.url}/hook",
        WATCHER_ALERT_POLL_SECONDS="0.1",
        DATABASE_POOL_SIZE=str(POOL_SIZE),
    )


def in_bursts(
    send: Callable[[str], Any], served: Served, enough: Callable[[set[int]], bool]
) -> list[str]:
    """Send bursts of concurrent requests (each on its own connection, as independent clients
    do) until `enough` holds for the set of workers that served them; their request ids."""
    sent: list[str] = []
    with ThreadPoolExecutor(BURST) as pool:
        for _ in range(ROUNDS):
            ids = [uuid.uuid4().hex for _ in range(BURST)]
            list(pool.map(send, ids))
            sent += ids
            if enough(set(served.workers_of(sent).values())):
                return sent
    raise AssertionError(f"the requests never reached both workers: {served.workers_of(sent)}")


def test_requests_reach_both_workers_and_metrics_count_them_all(served: Served) -> None:
    def health(request_id: str) -> None:
        response = httpx.get(f"{served.base}/health", headers={"X-Request-ID": request_id})
        assert response.status_code == 200
        assert response.headers["X-Request-ID"] == request_id

    sent = in_bursts(health, served, lambda workers: len(workers) == 2)

    counted = served.metrics()[
        (
            "watcher_http_requests_total",
            frozenset({("method", "GET"), ("route", "/health"), ("status", "200")}),
        )
    ]
    assert counted == len(sent)
    # Each worker's pool (SQLite: one connection), summed over the living workers.
    per_worker = 1 if served.database_url.startswith("sqlite") else POOL_SIZE
    assert served.metrics()[("watcher_db_pool_size", frozenset())] == 2 * per_worker


def test_a_console_form_rendered_by_one_worker_is_accepted_by_the_other(served: Served) -> None:
    created = httpx.post(
        f"{served.base}/pipeline", json={"name": "two-workers", "pipeline_type_name": "etl"}
    )
    pipeline_id = created.json()["id"]
    # No kept-alive connection: every request is a new connection, as from a new client.
    with httpx.Client(
        base_url=served.base, limits=httpx.Limits(max_keepalive_connections=0)
    ) as browser:
        page = browser.get(f"/ui/pipelines/{pipeline_id}", headers={"X-Request-ID": "form-page"})
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        [rendered_by] = served.workers_of(["form-page"]).values()
        answers: dict[str, int] = {}

        def post(request_id: str) -> None:
            form = {"csrf_token": token, "check": "timeliness", "muted": "true"}
            response = browser.post(
                f"/ui/pipelines/{pipeline_id}/mute", data=form, headers={"X-Request-ID": request_id}
            )
            answers[request_id] = response.status_code

        in_bursts(post, served, lambda workers: bool(workers - {rendered_by}))
    # Some of them were served by the worker that did not render the form: all accepted.
    assert set(answers.values()) == {303}, answers


def test_each_alert_is_delivered_once_by_the_two_workers(served: Served) -> None:
    ids = asyncio.run(raise_alerts(served.database_url, 20))
    deadline = time.monotonic() + 20
    while len(served.receiver.accepted_on("/hook")) < len(ids) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1)  # time for a second delivery, were there to be one
    arrived = Counter(request.json["id"] for request in served.receiver.accepted_on("/hook"))
    assert arrived == Counter(ids)
    delivered = frozenset({("channel", "webhook"), ("result", "delivered")})
    assert served.metrics()[("watcher_alert_deliveries_total", delivered)] == len(ids)


async def raise_alerts(url: str, count: int) -> list[int]:
    database = Database(url, pool_size=1)
    try:
        async with database.transaction() as conn:
            now = datetime.now(UTC)
            return [
                await enqueue_alert(
                    conn, AlertDraft("test.workers", AlertLevel.WARNING, "Test", f"alert {n}"), now
                )
                for n in range(count)
            ]
    finally:
        await database.dispose()


def test_one_worker_takes_the_same_path_and_counts_its_requests(tmp_path: Path) -> None:
    from tests.processes import watcher_server

    with fresh_database(tmp_path) as url:
        migrate.upgrade(url)
        with watcher_server(url, WATCHER_BACKGROUND_JOBS="false") as base:
            for _ in range(3):
                assert httpx.get(f"{base}/health").status_code == 200
            text = httpx.get(f"{base}/metrics").text
    [counted] = [
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "watcher_http_requests_total" and sample.labels["route"] == "/health"
    ]
    assert counted == 3
