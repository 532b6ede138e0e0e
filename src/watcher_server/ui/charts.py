"""The runs chart's data: one point per run per metric, failed and flagged runs, and each
active anomaly rule's band. Pure: rows in, a JSON-ready document out."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from watcher_server.anomalies.service import MAX_BASELINE_EXECUTIONS
from watcher_server.anomalies.statistics import Baseline, Outcome, judge
from watcher_server.anomalies.windows import bucket_of
from watcher_server.models import AnomalyMetric

# Drawn for every pipeline; a metric with an active rule gets its own chart too.
ALWAYS_CHARTED = (AnomalyMetric.DURATION_SECONDS, AnomalyMetric.TOTAL_ROWS)
LABELS = {
    AnomalyMetric.DURATION_SECONDS: "Duration (seconds)",
    AnomalyMetric.INSERTS: "Inserts",
    AnomalyMetric.UPDATES: "Updates",
    AnomalyMetric.SOFT_DELETES: "Soft deletes",
    AnomalyMetric.TOTAL_ROWS: "Total rows",
    AnomalyMetric.THROUGHPUT: "Throughput (rows per second)",
}


@dataclass(frozen=True)
class Band:
    """mean ± z standard deviations of a rule's current baseline, the lower side clipped at 0."""

    rule_id: int
    lower: float
    upper: float
    mean: float
    z_threshold: float
    baseline_size: int


def run_status(succeeded: bool | None) -> str:
    if succeeded is None:
        return "running"
    return "succeeded" if succeeded else "failed"


def _flagged(run: Any, metric: AnomalyMetric) -> bool:
    return bool((run.anomaly_flags or {}).get(metric.value))


@dataclass(frozen=True)
class RuleBands:
    """A rule's band in each seasonal bucket (one bucket, None, for a rule without seasons)."""

    seasonality: str
    by_bucket: dict[int | None, Band]

    def at(self, start: datetime) -> Band | None:
        """The band of the bucket a run started at `start` falls in; None while that bucket's
        history is too short for a verdict."""
        return self.by_bucket.get(bucket_of(self.seasonality, start))


def current_bands(rule: Any, successful_newest_first: Sequence[Any], now: datetime) -> RuleBands:
    """The bands a run ending now would be judged against, one per seasonal bucket: the rule's
    lookback before now, in the bucket, runs flagged for the metric left out, the most recent
    MAX_BASELINE_EXECUTIONS kept."""
    metric = AnomalyMetric(rule.metric_field)
    since = now - timedelta(days=rule.lookback_days)
    values: dict[int | None, list[float]] = {}
    for run in successful_newest_first:
        value = getattr(run, metric.value)
        if run.start_date >= since and value is not None and not _flagged(run, metric):
            values.setdefault(bucket_of(rule.seasonality, run.start_date), []).append(float(value))
    bands = {bucket: _band(rule, kept[:MAX_BASELINE_EXECUTIONS]) for bucket, kept in values.items()}
    return RuleBands(
        str(rule.seasonality), {bucket: band for bucket, band in bands.items() if band is not None}
    )


def _band(rule: Any, values: list[float]) -> Band | None:
    baseline = Baseline.of(values)
    verdict = judge(baseline.mean, baseline, rule.z_threshold, rule.minimum_executions)
    if verdict.outcome is Outcome.INSUFFICIENT_HISTORY or verdict.lower is None:
        return None
    return Band(
        rule_id=rule.id,
        lower=verdict.lower,
        upper=verdict.upper or 0.0,
        mean=verdict.mean or 0.0,
        z_threshold=rule.z_threshold,
        baseline_size=baseline.size,
    )


def chart_document(
    runs: Sequence[Any], bands: dict[AnomalyMetric, RuleBands], since: datetime, until: datetime
) -> dict[str, Any]:
    """What the page's script draws: the runs (oldest first) and one chart per metric, whose
    band at each run is its seasonal bucket's (null where that bucket's history is short)."""
    metrics = list(ALWAYS_CHARTED) + [
        m for m in AnomalyMetric if m in bands and m not in ALWAYS_CHARTED
    ]
    charts = []
    for metric in metrics:
        at_runs = [bands[metric].at(run.start_date) for run in runs] if metric in bands else []
        charts.append(
            {
                "metric": metric.value,
                "label": LABELS[metric],
                "values": [_number(getattr(run, metric.value)) for run in runs],
                "flagged": [i for i, run in enumerate(runs) if _flagged(run, metric)],
                "band": None
                if not any(at_runs)
                else {
                    "lower": [band and band.lower for band in at_runs],
                    "upper": [band and band.upper for band in at_runs],
                    "seasonality": bands[metric].seasonality,
                },
            }
        )
    return {
        "since": since.timestamp(),
        "until": until.timestamp(),
        "runs": [
            {
                "id": run.id,
                "t": run.start_date.timestamp(),
                "status": run_status(run.completed_successfully),
            }
            for run in runs
        ],
        "charts": charts,
    }


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def success_rate(runs: Sequence[Any]) -> tuple[int, int]:
    """(succeeded, finished) among the runs."""
    finished = [run for run in runs if run.completed_successfully is not None]
    return sum(1 for run in finished if run.completed_successfully), len(finished)
