"""The alert an anomalous execution raises, shaped like the original's. Pure, no database."""

from collections.abc import Sequence
from dataclasses import dataclass

from watcher_server.alerts.outbox import AlertDraft, AlertLevel
from watcher_server.anomalies.statistics import Verdict

TITLE = "Anomaly Detection"
KIND = "anomaly.detected"


@dataclass(frozen=True)
class FlaggedMetric:
    metric: str
    verdict: Verdict
    bucket: str


def anomaly_alert(
    pipeline_id: int, pipeline_name: str, execution_id: int, flagged: Sequence[FlaggedMetric]
) -> AlertDraft:
    """One alert for one execution, listing every metric it was flagged for."""
    metrics = [item.metric for item in flagged]
    return AlertDraft(
        kind=KIND,
        level=AlertLevel.WARNING,
        title=TITLE,
        message=(
            f"Anomalies Detected for Pipeline '{pipeline_name}' (ID: {pipeline_id}) - "
            f"Execution ID {execution_id} flagged"
        ),
        details={
            "Total Anomalies": str(len(flagged)),
            "Metrics": ", ".join(metrics),
            "Anomalies": "\n".join(_line(item) for item in flagged),
        },
        pipeline_id=pipeline_id,
        subject=f"pipeline_execution:{execution_id}",
    )


def _line(item: FlaggedMetric) -> str:
    verdict = item.verdict
    z_score = (
        "undefined, constant history" if verdict.z_score is None else f"{verdict.z_score:+.2f}"
    )
    return (
        f"• {item.metric}: {number(verdict.value)} "
        f"(Range: {number(verdict.lower)} - {number(verdict.upper)}, z: {z_score}, "
        f"baseline: {verdict.baseline_size} runs, {item.bucket})"
    )


def number(value: float | None) -> str:
    """Readable at any magnitude: 1,234,567 for large values, 0.0123 for small ones."""
    if value is None:
        return "n/a"
    if abs(value) >= 1000 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:.4g}"
