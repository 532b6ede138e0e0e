"""The scale-out topology, for real: three API processes and the jobs, on one PostgreSQL
database through PgBouncer in transaction pooling (PostgreSQL runs only).

Two `watcher jobs run` processes run, not the one the topology asks for: with one, "once" holds
by construction; with two (a rolling upgrade overlaps them) it is the database that keeps each
scheduled time, alert and queued run to one process, through the pooler.
"""

import asyncio
import itertools
import os
import re
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from bench.harness import pgbouncer

from tests.conftest import TEST_DATABASE_URL, fresh_database
from tests.processes import WATCHER, watcher_server
from tests.receiver import AlertReceiver
from watcher_server.anomalies import repository as anomalies_repo
from watcher_server.db import Database, migrate

pytestmark = [
    pytest.mark.skipif(
        not TEST_DATABASE_URL, reason="PostgreSQL runs only: set WATCHER_TEST_DATABASE_URL"
    ),
    pytest.mark.skipif(not pgbouncer.available(), reason="needs pgbouncer (apt-get install)"),
]

PIPELINES = 6
NORMAL_RUNS = 15  # per pipeline, spread over the API processes
EVERY_SECONDS = 3  # the runner looks every second: room for a slow tick on a busy machine
SCHEDULE = f"* * * * * */{EVERY_SECONDS}"  # croniter's sixth field: seconds
CHECKS = ("timeliness_check", "freshness_check")
FIRES = 3  # of each scheduled check, at least
FIRE_LINE = re.compile(r"job (\w+_check): running its (\S+) run")


@contextmanager
def watcher_jobs(environment: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`watcher jobs run`, its output in `log`; stopped by SIGTERM, as a deployment stops it."""
    with log.open("wb") as output:
        jobs = subprocess.Popen(
            [*WATCHER, "jobs", "run"], env=environment, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        yield jobs
    finally:
        if jobs.poll() is None:
            jobs.send_signal(signal.SIGTERM)
        try:
            assert jobs.wait(timeout=15) == 0, log.read_text()
        finally:
            if jobs.poll() is None:
                jobs.kill()


async def _set_up(api: str) -> list[int]:
    async with httpx.AsyncClient(base_url=api) as client:
        pipeline_ids = []
        for number in range(PIPELINES):
            created = await client.post(
                "/pipeline", json={"name": f"scaled-{number}", "pipeline_type_name": "extraction"}
            )
            assert created.status_code == 201, created.text
            pipeline_ids.append(created.json()["id"])
            rule = {
                "pipeline_id": pipeline_ids[-1],
                "metric_field": "total_rows",
                "minimum_executions": 5,
            }
            answer = await client.post("/anomaly_detection_rule", json=rule)
            assert answer.status_code == 201, answer.text
        return pipeline_ids


async def _lifecycles(apis: list[str], runs: list[tuple[int, int]]) -> None:
    """Start and end each (pipeline, total_rows) run, the calls spread over `apis`."""
    clients = [httpx.AsyncClient(base_url=api, timeout=30) for api in apis]
    spread = itertools.cycle(clients)
    gate = asyncio.Semaphore(12)

    async def lifecycle(pipeline_id: int, total_rows: int) -> None:
        async with gate:
            started = await next(spread).post(
                "/start_pipeline_execution", json={"pipeline_id": pipeline_id}
            )
            assert started.status_code == 201, started.text
            body = {"id": started.json()["id"], "total_rows": total_rows}
            ended = await next(spread).post("/end_pipeline_execution", json=body)
            assert ended.status_code == 204, ended.text

    try:
        await asyncio.gather(*(lifecycle(*run) for run in runs))
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))


async def _wait_for_empty_queue(url: str, within: float) -> None:
    database = Database(url, pool_size=1)
    try:
        async with asyncio.timeout(within):
            while True:
                async with database.transaction() as conn:
                    if await anomalies_repo.count_pending(conn) == 0:
                        return
                await asyncio.sleep(0.1)
    finally:
        await database.dispose()


def _fires(logs: list[Path]) -> dict[str, list[datetime]]:
    fires: dict[str, list[datetime]] = {}
    for log in logs:
        for job, fire in FIRE_LINE.findall(log.read_text()):
            fires.setdefault(job, []).append(datetime.fromisoformat(fire))
    return fires


def _wait_for_fires(logs: list[Path], count: int) -> None:
    deadline = time.monotonic() + count * EVERY_SECONDS + 20
    while min(len(_fires(logs).get(job, [])) for job in CHECKS) < count:
        assert time.monotonic() < deadline, f"fewer than {count} fires: {_fires(logs)}"
        time.sleep(0.2)


def test_three_apis_and_the_jobs_through_pgbouncer(tmp_path: Path) -> None:
    with ExitStack() as stack:
        url = stack.enter_context(fresh_database(tmp_path))
        migrate.upgrade(url)  # `watcher db upgrade`, straight to PostgreSQL
        via = stack.enter_context(pgbouncer.pgbouncer(url, pool_size=10))
        receiver = stack.enter_context(AlertReceiver())
        pooled = {"DATABASE_PGBOUNCER": "true", "DATABASE_POOL_SIZE": "5"}
        apis = [
            stack.enter_context(watcher_server(via, WATCHER_BACKGROUND_JOBS="false", **pooled))
            for _ in range(3)
        ]
        pipeline_ids = asyncio.run(_set_up(apis[0]))
        jobs_environment = {
            **os.environ,
            **pooled,
            "DATABASE_URL": via,
            "WATCHER_ALERT_WEBHOOK_URL": f"{receiver.url}/hook",
            "WATCHER_ALERT_POLL_SECONDS": "0.1",
            "WATCHER_ANOMALY_DETECTION_POLL_SECONDS": "0.1",
            "WATCHER_TIMELINESS_CHECK_SCHEDULE": SCHEDULE,
            "WATCHER_FRESHNESS_CHECK_SCHEDULE": SCHEDULE,
        }
        logs = [tmp_path / "jobs-1.log", tmp_path / "jobs-2.log"]
        for log in logs:
            stack.enter_context(watcher_jobs(jobs_environment, log))

        # Steady runs of every pipeline, then one run per pipeline with a thousand times the rows.
        normal = [(p, 100 + n % 5) for n in range(NORMAL_RUNS) for p in pipeline_ids]
        asyncio.run(_lifecycles(apis, normal))
        asyncio.run(_lifecycles(apis, [(p, 100_000) for p in pipeline_ids]))
        asyncio.run(receiver.wait_for(PIPELINES, within=30))
        asyncio.run(_wait_for_empty_queue(url, within=30))
        _wait_for_fires(logs, FIRES)  # and room for a repeat delivery to show
        alerts = httpx.get(f"{apis[1]}/alert", params={"limit": 1000}).json()

    delivered = Counter(request.json["id"] for request in receiver.accepted_on("/hook"))
    assert sorted(delivered) == sorted(alert["id"] for alert in alerts)
    assert set(delivered.values()) == {1}
    anomalies = [alert for alert in alerts if alert["kind"].startswith("anomaly")]
    assert len(anomalies) == PIPELINES, alerts  # one per outlier run: each run tested once

    fires = _fires(logs)
    assert set(fires) == set(CHECKS)
    for job, times in fires.items():
        assert len(times) == len(set(times)), f"{job} ran a scheduled time twice: {times}"
        steps = {later - earlier for earlier, later in itertools.pairwise(sorted(times))}
        assert steps == {timedelta(seconds=EVERY_SECONDS)}, f"{job} skipped a time: {times}"
    for log in logs:
        assert "Traceback" not in log.read_text(), log.read_text()
