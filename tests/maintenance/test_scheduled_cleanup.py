"""Scheduled retention: off by default, a validated cron when on, and the job the scheduler runs."""

import os
from pathlib import Path

import httpx
import pytest

from tests.factories import create_pipeline
from tests.maintenance.conftest import Era, run, surviving
from watcher_server.db import Database
from watcher_server.maintenance.service import run_scheduled_cleanup
from watcher_server.settings import Settings, SettingsError, load_settings


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
    pipeline_id = await create_pipeline(client, f"scheduled {unique}")
    old = await run(client, pipeline_id, era.old())
    young = await run(client, pipeline_id, era.young())
    scheduled = settings.model_copy(
        update={"watcher_log_cleanup_retention_days": 90, "watcher_log_cleanup_batch_size": 1}
    )
    db = Database(settings.database_url)
    try:
        report = await run_scheduled_cleanup(db, scheduled, era.now)
    finally:
        await db.dispose()

    assert (report.rows["pipeline_execution"], report.batches) == (1, 1)
    assert await surviving(client, [old, young]) == {young}
