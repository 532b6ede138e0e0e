"""The monitoring and alerting settings, read as a deployment sets them."""

import os
from pathlib import Path

import pytest

from watcher_server.jobs.registry import build_jobs
from watcher_server.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if "WATCHER_" in name.upper() or name.upper().endswith(("SLACK_WEBHOOK_URL", "ENV_STATE")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_defaults_run_every_job_in_the_api_process() -> None:
    settings = load_settings()
    assert settings.watcher_background_jobs is True
    assert (settings.watcher_alert_poll_seconds, settings.watcher_alert_retry_max_seconds) == (
        2,
        60,
    )
    assert [job.name for job in build_jobs(settings)] == [
        "timeliness_check",
        "freshness_check",
        "alert_delivery",
        "anomaly_detection",
    ]
    assert settings.watcher_anomaly_detection_poll_seconds == 0.5


def test_an_empty_schedule_turns_a_check_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHER_FRESHNESS_CHECK_SCHEDULE", " ")
    monkeypatch.setenv("WATCHER_BACKGROUND_JOBS", "false")
    settings = load_settings()
    assert settings.watcher_freshness_check_schedule is None
    assert settings.watcher_background_jobs is False
    assert [job.name for job in build_jobs(settings)] == [
        "timeliness_check",
        "alert_delivery",
        "anomaly_detection",
    ]


def test_the_webhook_secret_is_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHER_ALERT_WEBHOOK_URL", "https://alerts.example.com/watcher")
    monkeypatch.setenv("WATCHER_ALERT_WEBHOOK_SECRET", "hunter2")
    settings = load_settings()
    assert "hunter2" not in repr(settings)
    assert settings.watcher_alert_webhook_secret.get_secret_value() == "hunter2"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("WATCHER_TIMELINESS_CHECK_SCHEDULE", "every hour"),
        ("WATCHER_ALERT_WEBHOOK_URL", "not a url"),
        ("WATCHER_ALERT_POLL_SECONDS", "0"),
        ("WATCHER_ALERT_RETRY_MAX_SECONDS", "-1"),
        ("WATCHER_TIMELINESS_CHECK_LOOKBACK_MINUTES", "4"),
        ("WATCHER_BACKGROUND_JOBS", "sometimes"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=f"^invalid setting {variable}:"):
        load_settings()
