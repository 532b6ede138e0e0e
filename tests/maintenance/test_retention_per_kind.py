"""Each kind of data has its own retention: a shorter one deletes only that kind's old rows.

The freshness and delivery checks these tests run look at every pipeline and alert in the
database, so the tests use a database of their own rather than the run's shared one.
"""

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.alerts.conftest import channel_settings, job_context, raise_alerts
from tests.anomalies.conftest import add_rule, detect, flags_of, outcome_of
from tests.clock import MovableClock
from tests.conftest import app_client, fresh_database
from tests.factories import create_pipeline
from tests.maintenance.conftest import Era, log_cleanup, new_era, overdue_run, run, surviving
from tests.receiver import AlertReceiver
from watcher_server.alerts.delivery import deliver_alerts
from watcher_server.db import migrate
from watcher_server.maintenance.retention import OWN_RETENTION_KINDS, days_field
from watcher_server.settings import Settings

KIND_DAYS = 10
OVERDUE = {"timeliness_number": 1, "timeliness_datepart": "minute"}
HOURLY = {"freshness_number": 1, "freshness_datepart": "hour"}


@pytest.fixture(scope="module")
def own_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    with fresh_database(tmp_path_factory.mktemp("retention")) as url:
        migrate.upgrade(url)
        yield Settings(_env_file=None, database_url=url, watcher_background_jobs=False)


@pytest.fixture
async def http(own_settings: Settings) -> Iterator[httpx.AsyncClient]:
    async with app_client(own_settings) as client:
        yield client


def kind_old(era: Era) -> datetime:
    """Older than the kind's retention, younger than the runs'."""
    return era.now - timedelta(days=2 * KIND_DAYS)


def kind_young(era: Era) -> datetime:
    return era.now - timedelta(days=KIND_DAYS // 2)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def dry_then_real(settings: Settings, era: Era, **body: Any) -> dict[str, Any]:
    """A dry run, then the cleanup; answers the cleanup's body after checking the dry run
    counted what it deleted."""
    dry = await log_cleanup(settings, era.now, dry_run=True, **body)
    real = await log_cleanup(settings, era.now, **body)
    assert (dry["dry_run"], dry["batches"]) == (True, 0)
    assert dry["rows_deleted"] == real["rows_deleted"]
    return real


async def listed(http: httpx.AsyncClient, path: str, key: str, **params: Any) -> set[int]:
    response = await http.get(path, params=params)
    assert response.status_code == 200, response.text
    return {row[key] for row in response.json()}


async def test_a_shorter_timeliness_log_retention_deletes_rows_of_runs_that_ended(
    http: httpx.AsyncClient, own_settings: Settings, era: Era, unique: str
) -> None:
    pipeline_id = await create_pipeline(http, f"late {unique}", **OVERDUE)
    old, young = kind_old(era), kind_young(era)
    ended_long_ago = await overdue_run(own_settings, pipeline_id, old, old + timedelta(hours=1))
    ended_lately = await overdue_run(own_settings, pipeline_id, young, young + timedelta(hours=1))
    # Found long ago, but the check would log and alert it again without its row.
    still_going = await overdue_run(own_settings, pipeline_id, old + timedelta(minutes=1), None)
    ended_since = await overdue_run(own_settings, pipeline_id, old + timedelta(minutes=2), young)
    past_both = await overdue_run(own_settings, pipeline_id, era.old(), era.old(10))
    logged = [ended_long_ago, ended_lately, still_going, ended_since, past_both]
    path = "/timeliness_pipeline_execution_log"

    dry = await log_cleanup(
        own_settings, era.now, dry_run=True, timeliness_log_retention_days=KIND_DAYS
    )
    assert await listed(http, path, "pipeline_execution_id", pipeline_id=pipeline_id) == set(logged)
    answer = await log_cleanup(
        own_settings, era.now, timeliness_log_retention_days=KIND_DAYS, batch_size=1
    )

    assert dry["rows_deleted"] == answer["rows_deleted"]
    assert answer["batches"] == 3  # one row each: two timeliness rows, then a run
    assert answer["rows_deleted"]["timeliness_pipeline_execution_log"] == 2
    assert answer["total_timeliness_pipeline_execution_logs_deleted"] == 2
    assert answer["total_pipeline_executions_deleted"] == 1
    assert await listed(http, path, "pipeline_execution_id", pipeline_id=pipeline_id) == {
        ended_lately,
        still_going,
        ended_since,
    }
    assert await surviving(http, logged) == set(logged) - {past_both}
    assert answer["timeliness_log_retention_days"] == KIND_DAYS
    assert answer["cutoffs"]["timeliness_log"] == iso(era.now - timedelta(days=KIND_DAYS))
    assert answer["cutoffs"]["runs"] == answer["cutoff"] == iso(era.cutoff)


async def test_a_shorter_freshness_log_retention_deletes_old_resolved_episodes(
    http: httpx.AsyncClient, own_settings: Settings, era: Era, unique: str
) -> None:
    # The young episode first: a check finds every pipeline stale that is, old ones included.
    young = await stale_episode(own_settings, f"young {unique}", kind_young(era), resolved=True)
    old_resolved = await stale_episode(own_settings, f"old {unique}", kind_old(era), resolved=True)
    old_open = await stale_episode(own_settings, f"open {unique}", kind_old(era), resolved=False)

    answer = await dry_then_real(own_settings, era, freshness_log_retention_days=KIND_DAYS)

    assert answer["rows_deleted"]["freshness_pipeline_log"] == 1
    assert answer["total_freshness_pipeline_logs_deleted"] == 1
    assert answer["total_pipeline_executions_deleted"] == 0
    episodes = {
        pipeline_id: await listed(http, "/freshness_pipeline_log", "id", pipeline_id=pipeline_id)
        for pipeline_id in (old_resolved, old_open, young)
    }
    assert [len(ids) for ids in episodes.values()] == [0, 1, 1]


async def stale_episode(
    settings: Settings, name: str, loaded_at: datetime, *, resolved: bool
) -> int:
    """A pipeline loaded at `loaded_at` and found stale two hours later (the episode begins
    then), loaded again and found fresh when `resolved`; answers the pipeline's id."""
    clock = MovableClock(loaded_at)
    async with app_client(settings, clock=clock) as then:
        pipeline_id = await create_pipeline(then, name, **HOURLY)
        await run(then, pipeline_id, loaded_at - timedelta(minutes=1), inserts=1)
        clock.advance(hours=2)
        assert pipeline_id in await stale_pipelines(then)
        if resolved:
            await run(then, pipeline_id, clock.now, inserts=1)
            clock.advance(minutes=2)
            assert pipeline_id not in await stale_pipelines(then)
    return pipeline_id


async def stale_pipelines(http: httpx.AsyncClient) -> list[int]:
    response = await http.post("/freshness")
    assert response.status_code == 200, response.text
    return [item["pipeline_id"] for item in response.json()["items"]]


async def test_a_shorter_anomaly_result_retention_deletes_old_results_and_keeps_the_flags(
    http: httpx.AsyncClient, own_settings: Settings, era: Era, unique: str
) -> None:
    old_pipeline, old_run = await anomaly_found(own_settings, f"old {unique}", kind_old(era))
    young_pipeline, young_run = await anomaly_found(
        own_settings, f"young {unique}", kind_young(era)
    )
    path = "/anomaly_detection_result"

    answer = await dry_then_real(own_settings, era, anomaly_result_retention_days=KIND_DAYS)

    assert answer["rows_deleted"]["anomaly_detection_result"] == 1
    assert answer["total_anomaly_detection_results_deleted"] == 1
    assert answer["total_pipeline_executions_deleted"] == 0
    assert await listed(http, path, "pipeline_execution_id", pipeline_id=old_pipeline) == set()
    assert await listed(http, path, "pipeline_execution_id", pipeline_id=young_pipeline) == {
        young_run
    }
    assert await flags_of(http, old_run) == {"inserts": True}


async def anomaly_found(settings: Settings, name: str, at: datetime) -> tuple[int, int]:
    """A pipeline whose run at `at` inserted far more than the ten before it, and the anomaly
    detection found an hour later; answers the pipeline's and the anomalous run's ids."""
    async with app_client(settings, clock=lambda: at + timedelta(hours=1)) as then:
        pipeline_id = await create_pipeline(then, name)
        for day in range(10, 0, -1):
            await run(then, pipeline_id, at - timedelta(days=day), inserts=100 + day % 3)
        await add_rule(then, pipeline_id, "inserts")
        anomalous = await run(then, pipeline_id, at, inserts=10_000)
        assert outcome_of(await detect(then, pipeline_id), "inserts")["outcome"] == "anomaly"
    return pipeline_id, anomalous


@pytest.fixture
def alerts_settings(tmp_path: Path) -> Iterator[Settings]:
    """A database of its own: the delivery job routes every alert it holds."""
    with fresh_database(tmp_path) as url:
        migrate.upgrade(url)
        yield channel_settings(url, None)


async def test_alerts_go_once_their_delivery_is_over_and_pending_ones_never(
    alerts_settings: Settings, unique: str
) -> None:
    era = new_era()
    clock = MovableClock(kind_old(era))
    with AlertReceiver() as receiver:
        sending = channel_settings(alerts_settings.database_url, receiver)
        async with job_context(sending, clock) as context:
            [delivered] = await raise_alerts(context, 1, unique)
            await deliver_alerts(context)
            clock.now = kind_young(era)
            [delivered_lately] = await raise_alerts(context, 1, unique)
            await deliver_alerts(context)
        clock.now = kind_old(era)
        async with job_context(alerts_settings, clock) as no_channel:
            [undeliverable] = await raise_alerts(no_channel, 1, unique)
            await deliver_alerts(no_channel)
        clock.now = era.old()  # past the runs' retention too: pending alerts stay whatever age
        receiver.failing = 503
        async with job_context(sending, clock) as context:
            [retrying] = await raise_alerts(context, 1, unique)
            await deliver_alerts(context)
            [never_routed] = await raise_alerts(context, 1, unique)

    answer = await dry_then_real(alerts_settings, era, alert_retention_days=KIND_DAYS)

    assert answer["rows_deleted"]["alert"] == 2
    async with app_client(alerts_settings) as http:
        response = await http.get("/alert", params={"kind": f"test.{unique}"})
    statuses = {alert["id"]: alert["status"] for alert in response.json()}
    assert statuses == {
        delivered_lately: "delivered",
        retrying: "pending",
        never_routed: "pending",
    }
    assert {delivered, undeliverable}.isdisjoint(statuses)


async def test_each_kind_defaults_to_the_runs_retention(
    http: httpx.AsyncClient, own_settings: Settings, era: Era, unique: str
) -> None:
    pipeline_id = await create_pipeline(http, f"defaults {unique}", **OVERDUE)
    # An old run kept by the run still going under it: its timeliness row goes on its own.
    kept = await overdue_run(own_settings, pipeline_id, era.old(), era.old(10))
    going = await run(http, pipeline_id, era.old(20), parent=kept, finished=False)
    recent = await overdue_run(own_settings, pipeline_id, kind_old(era), kind_young(era))
    same_days = {days_field(kind): 90 for kind in OWN_RETENTION_KINDS}

    explicit = await log_cleanup(own_settings, era.now, dry_run=True, **same_days)
    implied = await dry_then_real(own_settings, era)

    assert implied["rows_deleted"] == explicit["rows_deleted"]
    assert implied["rows_deleted"]["timeliness_pipeline_execution_log"] == 1
    assert implied["total_pipeline_executions_deleted"] == 0
    assert {name: implied[name] for name in same_days} == same_days
    assert set(implied["cutoffs"].values()) == {iso(era.cutoff)}
    assert list(implied["cutoffs"]) == ["runs", *OWN_RETENTION_KINDS]
    path = "/timeliness_pipeline_execution_log"
    # The run still going was found overdue too, by the later check: its row stays.
    assert await listed(http, path, "pipeline_execution_id", pipeline_id=pipeline_id) == {
        going,
        recent,
    }
    assert await surviving(http, [kept, going, recent]) == {kept, going, recent}


@pytest.mark.parametrize("field", [days_field(kind) for kind in OWN_RETENTION_KINDS])
@pytest.mark.parametrize("value", [0, -1, 36_501, "10", 10.5, True, "ten", [10]])
async def test_a_bad_kind_retention_is_422_naming_the_field(
    http: httpx.AsyncClient, field: str, value: object
) -> None:
    response = await http.post("/log_cleanup", json={"retention_days": 90, field: value})

    assert response.status_code == 422
    assert response.json()["message"].startswith(f"{field}:")


async def test_a_kind_retention_of_a_day_or_null_is_accepted(http: httpx.AsyncClient) -> None:
    days = {days_field(kind): 1 for kind in OWN_RETENTION_KINDS}
    response = await http.post(
        "/log_cleanup",
        json={"retention_days": 90, "dry_run": True, **days, "alert_retention_days": None},
    )

    assert response.status_code == 200, response.text
    assert {name: response.json()[name] for name in days} == {**days, "alert_retention_days": 90}
