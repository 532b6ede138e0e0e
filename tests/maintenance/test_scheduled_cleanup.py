"""Scheduled retention: off by default, a validated cron when on, and the job the scheduler runs."""

import os
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from tests.factories import create_pipeline
from tests.maintenance.conftest import Era, overdue_run, run, surviving
from watcher_server.db import Database
from watcher_server.maintenance.retention import OWN_RETENTION_KINDS, Retention, days_field
from watcher_server.maintenance.service import run_scheduled_cleanup
from watcher_server.settings import Settings, SettingsError, load_settings

PREFIX = "watcher_log_cleanup_"


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if "WATCHER_" in name.upper() or name.upper().endswith(("DATABASE_URL", "ENV_STATE")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.mark.usefixtures("clean_environment")
def test_scheduled_cleanup_is_off_by_default() -> None:
    settings = load_settings()
    assert settings.watcher_log_cleanup_schedule is None
    assert settings.watcher_log_cleanup_retention_days == 365
    assert settings.watcher_log_cleanup_batch_size == 10_000
    assert Retention.named(settings, prefix=PREFIX) == Retention(365)


@pytest.mark.usefixtures("clean_environment")
def test_each_kind_has_its_own_retention_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHER_LOG_CLEANUP_RETENTION_DAYS", "120")
    monkeypatch.setenv("WATCHER_LOG_CLEANUP_TIMELINESS_LOG_RETENTION_DAYS", "1")
    monkeypatch.setenv("WATCHER_LOG_CLEANUP_FRESHNESS_LOG_RETENTION_DAYS", "30")
    monkeypatch.setenv("WATCHER_LOG_CLEANUP_ANOMALY_RESULT_RETENTION_DAYS", "400")
    monkeypatch.setenv("WATCHER_LOG_CLEANUP_ALERT_RETENTION_DAYS", " ")  # empty: as runs

    retention = Retention.named(load_settings(), prefix=PREFIX)

    assert retention == Retention(120, timeliness_log=1, freshness_log=30, anomaly_result=400)
    assert [retention.days(kind) for kind in OWN_RETENTION_KINDS] == [1, 30, 400, 120]


@pytest.mark.usefixtures("clean_environment")
@pytest.mark.parametrize(("value", "expected"), [("0 3 * * *", "0 3 * * *"), ("  ", None)])
def test_a_schedule_turns_it_on(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: str | None
) -> None:
    monkeypatch.setenv("WATCHER_LOG_CLEANUP_SCHEDULE", value)
    assert load_settings().watcher_log_cleanup_schedule == expected


@pytest.mark.usefixtures("clean_environment")
@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("WATCHER_LOG_CLEANUP_SCHEDULE", "nightly"),
        ("WATCHER_LOG_CLEANUP_SCHEDULE", "61 * * * *"),
        ("WATCHER_LOG_CLEANUP_RETENTION_DAYS", "30"),
        ("WATCHER_LOG_CLEANUP_BATCH_SIZE", "0"),
        ("WATCHER_LOG_CLEANUP_BATCH_SIZE", "1000000"),
        ("WATCHER_LOG_CLEANUP_TIMELINESS_LOG_RETENTION_DAYS", "0"),
        ("WATCHER_LOG_CLEANUP_FRESHNESS_LOG_RETENTION_DAYS", "36501"),
        ("WATCHER_LOG_CLEANUP_ANOMALY_RESULT_RETENTION_DAYS", "1.5"),
        ("WATCHER_LOG_CLEANUP_ALERT_RETENTION_DAYS", "a week"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=f"^invalid setting {variable}:"):
        load_settings()


async def test_the_scheduled_job_uses_the_retention_settings(
    client: httpx.AsyncClient, settings: Settings, era: Era, unique: str
) -> None:
    pipeline_id = await create_pipeline(
        client, f"scheduled {unique}", timeliness_number=1, timeliness_datepart="minute"
    )
    old = await run(client, pipeline_id, era.old())
    young = await overdue_run(settings, pipeline_id, era.young(), era.young(10))
    kinds = {"timeliness_log": 1, "freshness_log": 2, "anomaly_result": 3, "alert": 4}
    scheduled = settings.model_copy(
        update={
            f"{PREFIX}retention_days": 90,
            f"{PREFIX}batch_size": 1,
            **{PREFIX + days_field(kind): days for kind, days in kinds.items()},
        }
    )
    db = Database(settings.database_url)
    try:
        report = await run_scheduled_cleanup(db, scheduled, era.now)
    finally:
        await db.dispose()

    assert report.rows["pipeline_execution"] == 1
    assert report.rows["timeliness_pipeline_execution_log"] == 1  # the young run's, a day on
    assert report.batches == 2
    assert await surviving(client, [old, young]) == {young}
    assert report.cutoffs == {
        "runs": era.cutoff,
        **{kind: era.now - timedelta(days=days) for kind, days in kinds.items()},
    }
