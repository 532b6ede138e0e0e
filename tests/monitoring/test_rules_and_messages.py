"""Verdicts and alert texts of the checks, without a database."""

from datetime import UTC, datetime, timedelta

from watcher_server.alerts.outbox import AlertLevel
from watcher_server.models.base import DatePart
from watcher_server.monitoring.messages import fresh_again_alert, overdue_alert, stale_alert
from watcher_server.monitoring.rules import (
    FreshAgain,
    OverdueExecution,
    StalePipeline,
    last_dml,
    missed_deadline,
    stale_since,
)
from watcher_server.monitoring.thresholds import ConfigLevel, Threshold

T = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
HALF_HOUR = Threshold(30, DatePart.MINUTE, ConfigLevel.PIPELINE)
ONE_DAY = Threshold(1, DatePart.DAY, ConfigLevel.PIPELINE_TYPE)


def test_a_run_is_overdue_only_once_past_its_deadline() -> None:
    deadline = T + timedelta(minutes=30)
    assert missed_deadline(T, None, HALF_HOUR, now=deadline) is None
    assert missed_deadline(T, None, HALF_HOUR, now=deadline + timedelta(seconds=1)) == deadline
    assert missed_deadline(T, deadline, HALF_HOUR, now=T + timedelta(days=9)) is None
    late_end = deadline + timedelta(microseconds=1)
    assert missed_deadline(T, late_end, HALF_HOUR, now=late_end) == deadline


def test_freshness_counts_from_the_latest_load() -> None:
    assert last_dml(None, None, None) is None
    assert last_dml(T, None, T + timedelta(hours=1)) == T + timedelta(hours=1)
    assert stale_since(T, ONE_DAY, now=T + timedelta(days=1)) is None  # strictly past
    assert stale_since(T, ONE_DAY, now=T + timedelta(days=1, seconds=1)) == T + timedelta(days=1)


def test_overdue_alert_keeps_the_original_wording() -> None:
    finding = OverdueExecution(
        execution_id=42,
        pipeline_id=7,
        pipeline_name="orders",
        status="running",
        start_date=T,
        duration_seconds=5400,
        deadline_at=T + timedelta(minutes=30),
        threshold=HALF_HOUR,
        new=True,
    )
    alert = overdue_alert(finding)
    assert alert.level is AlertLevel.WARNING
    assert alert.title == "Timeliness Check - Pipeline Execution"
    assert alert.message.startswith("Pipeline Execution Timeliness Check")
    assert alert.details["Failed Executions"] == (
        "• Pipeline 'orders' (Execution ID: 42): 90 minutes (running), "
        "Expected within 30 minutes (child config)"
    )
    assert (alert.pipeline_id, alert.subject) == (7, "pipeline_execution:42")


def test_stale_and_fresh_again_alerts() -> None:
    never = StalePipeline(7, "orders", None, T, T + timedelta(days=1), ONE_DAY, new=True)
    stale = stale_alert(never)
    assert "never loaded data" in stale.message
    assert stale.details["Failed Pipelines"] == (
        "• orders (ID: 7): Last DML never (created 2026-03-01 08:00:00 UTC), "
        "Expected within 1 day (parent config)"
    )
    fresh = fresh_again_alert(FreshAgain(1, 7, "orders", T, T - timedelta(hours=2)))
    assert fresh.level is AlertLevel.SUCCESS
    assert fresh.kind == "freshness.resolved"
    assert "fresh again" in fresh.message
