"""The alerts the checks raise, worded like the original Watcher's. Pure, no database."""

from datetime import datetime

from watcher_server.alerts.outbox import AlertDraft, AlertLevel
from watcher_server.monitoring.deadlines import describe_duration, describe_interval
from watcher_server.monitoring.rules import FreshAgain, OverdueExecution, StalePipeline
from watcher_server.monitoring.thresholds import Threshold

TIMELINESS_TITLE = "Timeliness Check - Pipeline Execution"
FRESHNESS_TITLE = "Freshness Check - Pipeline"


def overdue_alert(finding: OverdueExecution) -> AlertDraft:
    threshold = finding.threshold
    took = describe_duration(finding.duration_seconds, threshold.datepart)
    verb = "has been running for" if finding.status == "running" else "took"
    line = (
        f"• Pipeline '{finding.pipeline_name}' (Execution ID: {finding.execution_id}): {took} "
        f"({finding.status}), Expected within {_expected(threshold)}"
    )
    return AlertDraft(
        kind="timeliness.overdue",
        level=AlertLevel.WARNING,
        title=TIMELINESS_TITLE,
        message=(
            f"Pipeline Execution Timeliness Check - execution {finding.execution_id} of "
            f"pipeline '{finding.pipeline_name}' {verb} {took}, longer than "
            f"{describe_interval(threshold.number, threshold.datepart)}"
        ),
        details={
            "Failed Executions": line,
            "Pipeline ID": str(finding.pipeline_id),
            "Started": _when(finding.start_date),
            "Deadline": _when(finding.deadline_at),
        },
        pipeline_id=finding.pipeline_id,
        subject=f"pipeline_execution:{finding.execution_id}",
    )


def stale_alert(finding: StalePipeline) -> AlertDraft:
    threshold = finding.threshold
    if finding.last_dml is None:
        since = f"never loaded data (created {_when(finding.measured_from)})"
        line_dml = f"Last DML never (created {_when(finding.measured_from)})"
    else:
        since = f"has not loaded data since {_when(finding.last_dml)}"
        line_dml = f"Last DML {_when(finding.last_dml)}"
    return AlertDraft(
        kind="freshness.stale",
        level=AlertLevel.WARNING,
        title=FRESHNESS_TITLE,
        message=(
            f"Pipeline Freshness Check - pipeline '{finding.pipeline_name}' {since}; "
            f"expected within {describe_interval(threshold.number, threshold.datepart)}"
        ),
        details={
            "Failed Pipelines": (
                f"• {finding.pipeline_name} (ID: {finding.pipeline_id}): {line_dml}, "
                f"Expected within {_expected(threshold)}"
            ),
            "Stale Since": _when(finding.deadline_at),
        },
        pipeline_id=finding.pipeline_id,
        subject=f"pipeline:{finding.pipeline_id}",
    )


def fresh_again_alert(finding: FreshAgain) -> AlertDraft:
    loaded = _when(finding.last_dml) if finding.last_dml is not None else "unknown"
    return AlertDraft(
        kind="freshness.resolved",
        level=AlertLevel.SUCCESS,
        title=FRESHNESS_TITLE,
        message=(f"Pipeline Freshness Check - pipeline '{finding.pipeline_name}' is fresh again"),
        details={
            "Resolved Pipelines": (
                f"• {finding.pipeline_name} (ID: {finding.pipeline_id}): Last DML {loaded}"
            ),
            "Stale Since": _when(finding.stale_since),
        },
        pipeline_id=finding.pipeline_id,
        subject=f"pipeline:{finding.pipeline_id}",
    )


def _expected(threshold: Threshold) -> str:
    level = "child" if threshold.used_child_config else "parent"
    return f"{describe_interval(threshold.number, threshold.datepart)} ({level} config)"


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC"
