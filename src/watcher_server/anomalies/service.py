"""Anomaly detection rules, and detection itself: judge a successful execution against its
baseline for every active rule of its pipeline, store and alert what is new, in one commit."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from watcher_server.alerts.outbox import AlertDraft, enqueue_alerts
from watcher_server.anomalies import repository as repo
from watcher_server.anomalies.messages import FlaggedMetric, anomaly_alert
from watcher_server.anomalies.schemas import (
    DEFAULT_LOOKBACK_DAYS,
    DEFAULT_MINIMUM_EXECUTIONS,
    DEFAULT_SEASONALITY,
    DEFAULT_Z_THRESHOLD,
    DetectionOut,
    OutcomeOut,
    RuleCreate,
    RulePatch,
    UnflagRequest,
)
from watcher_server.anomalies.statistics import Baseline, Verdict, judge
from watcher_server.anomalies.windows import BaselineWindow, baseline_window
from watcher_server.common.get_or_create import insert_or_find
from watcher_server.db import Database
from watcher_server.errors import Conflict, NotFound
from watcher_server.models import AnomalyMetric, Seasonality
from watcher_server.pipelines import repository as pipelines_repo

# The most recent runs a baseline holds: enough for a stable mean and stddev, and a cap on the
# rows one detection reads, whatever the pipeline's history or frequency.
MAX_BASELINE_EXECUTIONS = 100


# --- rules ---------------------------------------------------------------------------------


async def create_rule(db: Database, data: RuleCreate, now: datetime) -> tuple[int, bool]:
    """Get-or-create the rule of (pipeline, metric); True when this call created it."""
    values = data.model_dump()
    values.update(seasonality=data.seasonality.value, created_at=now)
    async with db.transaction() as conn:
        if not await pipelines_repo.pipeline_exists(conn, data.pipeline_id):
            raise NotFound(f"pipeline {data.pipeline_id} not found")
        return await insert_or_find(
            lambda: repo.insert_rule_if_absent(conn, values),
            lambda: repo.find_rule_id(conn, data.pipeline_id, data.metric_field),
            f"the {data.metric_field.value} rule of pipeline {data.pipeline_id}",
        )


async def create_default_rules(conn: AsyncConnection, pipeline_id: int, now: datetime) -> None:
    """One active rule per metric with the default settings, in the caller's transaction."""
    rows = [
        {
            "pipeline_id": pipeline_id,
            "metric_field": metric,
            "z_threshold": DEFAULT_Z_THRESHOLD,
            "lookback_days": DEFAULT_LOOKBACK_DAYS,
            "minimum_executions": DEFAULT_MINIMUM_EXECUTIONS,
            "seasonality": DEFAULT_SEASONALITY.value,
            "active": True,
            "created_at": now,
        }
        for metric in AnomalyMetric
    ]
    await repo.insert_rules_if_absent(conn, rows)


async def get_rule(db: Database, rule_id: int) -> Row[Any]:
    async with db.transaction() as conn:
        rule = await repo.get_rule(conn, rule_id)
    if rule is None:
        raise NotFound(f"anomaly detection rule {rule_id} not found")
    return rule


async def list_rules(
    db: Database, pipeline_id: int | None, limit: int, offset: int
) -> list[Row[Any]]:
    async with db.transaction() as conn:
        await _require_pipeline(conn, pipeline_id)
        return await repo.list_rules(conn, pipeline_id, limit, offset)


async def patch_rule(db: Database, data: RulePatch, now: datetime) -> Row[Any]:
    values = data.model_dump(exclude_unset=True, exclude_none=True, exclude={"id"})
    if "seasonality" in values:
        values["seasonality"] = Seasonality(values["seasonality"]).value
    async with db.transaction() as conn:
        rule = await repo.get_rule(conn, data.id)
        if rule is None:
            raise NotFound(f"anomaly detection rule {data.id} not found")
        await _require_pipeline(conn, values.get("pipeline_id"))
        pipeline_id = values.get("pipeline_id", rule.pipeline_id)
        metric = values.get("metric_field", rule.metric_field)
        holder = await repo.find_rule_id(conn, pipeline_id, metric)
        if holder is not None and holder != rule.id:
            raise Conflict(f"pipeline {pipeline_id} already has a {metric} rule (id {holder})")
        try:
            return await repo.update_rule(conn, rule.id, {**values, "updated_at": now})
        except IntegrityError:  # a concurrent change took the (pipeline, metric) pair
            raise Conflict(f"pipeline {pipeline_id} already has a {metric} rule") from None


async def _require_pipeline(conn: AsyncConnection, pipeline_id: int | None) -> None:
    if pipeline_id is not None and not await pipelines_repo.pipeline_exists(conn, pipeline_id):
        raise NotFound(f"pipeline {pipeline_id} not found")


# --- detection ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    rule: Row[Any]
    window: BaselineWindow
    verdict: Verdict
    flagged: bool
    new: bool

    def out(self) -> OutcomeOut:
        verdict, rule = self.verdict, self.rule
        return OutcomeOut(
            rule_id=rule.id,
            metric_field=rule.metric_field,
            outcome=verdict.outcome.value,
            value=verdict.value,
            baseline_size=verdict.baseline_size,
            minimum_executions=rule.minimum_executions,
            mean=verdict.mean,
            std_deviation=verdict.stddev,
            threshold_min=verdict.lower,
            threshold_max=verdict.upper,
            z_score=verdict.z_score,
            z_threshold=rule.z_threshold,
            deviation_percentage=verdict.deviation_percentage,
            confidence_score=verdict.confidence,
            lookback_days=rule.lookback_days,
            seasonality=rule.seasonality,
            seasonality_bucket=self.window.bucket,
            flagged=self.flagged,
            new=self.new,
        )


async def detect_execution(
    conn: AsyncConnection, execution_id: int, now: datetime
) -> list[Finding] | None:
    """Detection on one execution (see `detect_executions`); None when it is missing or did
    not succeed."""
    return (await detect_executions(conn, [execution_id], now)).get(execution_id)


async def detect_executions(
    conn: AsyncConnection, execution_ids: Sequence[int], now: datetime
) -> dict[int, list[Finding]]:
    """Judge successful executions by every active rule of their pipelines; store, flag and
    alert the anomalies not flagged before (one alert per execution). Executions that are
    missing or did not succeed are left out of the answer.

    A metric already flagged is not flagged again, and one an operator unflagged (its flag is
    false) stays unflagged: detection only ever adds flags. The reads and writes are batched:
    one statement reads the baselines of every run (of a pass, see `_settled`), and one each
    locks the runs, reads the rules, and writes the flags, findings and alerts.
    """
    runs = [
        run
        for run in await repo.lock_tested_executions(conn, execution_ids)
        if run.completed_successfully is True
    ]
    rules_of: dict[int, list[Row[Any]]] = defaultdict(list)
    if runs:
        for rule in await repo.active_rules(conn, sorted({run.pipeline_id for run in runs})):
            rules_of[rule.pipeline_id].append(rule)
    findings: dict[int, list[Finding]] = {}
    todo = sorted(runs, key=_tested_order)
    while todo:
        judged = await _judge_runs(conn, todo, rules_of)
        settled, todo = _settled(todo, judged)
        flags = {}
        for run in settled:
            findings[run.id] = judged[run.id]
            new = [finding for finding in judged[run.id] if finding.new]
            if new:
                flags[run.id] = _flags_with(run, new)
        await repo.set_flags(conn, flags)
    results: list[dict[str, Any]] = []
    alerts = []
    for run in sorted(runs, key=_as_if_one_at_a_time(runs)):
        new = [finding for finding in findings[run.id] if finding.new]
        if new:
            results += [_result_row(run, finding, now) for finding in new]
            alerts.append(_alert(run, new))
    await repo.insert_results(conn, results)
    await enqueue_alerts(conn, alerts, now)
    return findings


def _tested_order(run: Row[Any]) -> tuple[datetime, int]:
    return run.start_date, run.id


def _settled(
    runs: Sequence[Row[Any]], judged: dict[int, list[Finding]]
) -> tuple[list[Row[Any]], list[Row[Any]]]:
    """The runs (oldest first) whose verdicts stand, and those to judge again.

    A run flagged now leaves the baselines of its pipeline's later runs, as if the runs had
    been tested one at a time; those later runs were judged with it still in, so they are
    judged again once its flags are written. Flags are rare: one pass is the usual case.
    """
    settled, again = [], []
    flagged_pipelines: set[int] = set()
    for run in runs:
        if run.pipeline_id in flagged_pipelines:
            again.append(run)
            continue
        settled.append(run)
        if any(finding.new for finding in judged[run.id]):
            flagged_pipelines.add(run.pipeline_id)
    return settled, again


def _as_if_one_at_a_time(runs: Sequence[Row[Any]]) -> Any:
    """The order findings and alerts are written in: each pipeline's first run, then each
    one's second, and so on, oldest first within each round."""
    rank: dict[int, int] = {}
    seen: dict[int, int] = defaultdict(int)
    for run in sorted(runs, key=_tested_order):
        rank[run.id] = seen[run.pipeline_id]
        seen[run.pipeline_id] += 1
    return lambda run: (rank[run.id], *_tested_order(run))


async def _judge_runs(
    conn: AsyncConnection, runs: Sequence[Row[Any]], rules_of: dict[int, list[Row[Any]]]
) -> dict[int, list[Finding]]:
    """Every run's findings; one baseline per distinct (lookback, seasonality) among its
    rules (usually one), all read in one statement."""
    requests, groups = [], []
    for run in runs:
        grouped: dict[tuple[int, str], list[Row[Any]]] = defaultdict(list)
        for rule in rules_of[run.pipeline_id]:
            grouped[(rule.lookback_days, rule.seasonality)].append(rule)
        for (lookback_days, seasonality), rules in grouped.items():
            window = baseline_window(seasonality, run.start_date, lookback_days)
            requests.append(repo.BaselineRequest(run.pipeline_id, run.id, window))
            groups.append((run, window, rules))
    baselines = await repo.baselines(conn, requests, MAX_BASELINE_EXECUTIONS)
    judged: dict[int, list[Finding]] = {run.id: [] for run in runs}
    for (run, window, rules), baseline in zip(groups, baselines, strict=True):
        flags = run.anomaly_flags or {}
        for rule in rules:
            metric = rule.metric_field
            verdict = _judge(getattr(run, metric.value), rule, baseline[metric])
            new = verdict.is_anomaly and metric.value not in flags
            flagged = new or flags.get(metric.value) is True
            judged[run.id].append(Finding(rule, window, verdict, flagged, new))
    for found in judged.values():
        found.sort(key=lambda finding: finding.rule.id)
    return judged


def _judge(value: Any, rule: Row[Any], baseline: Baseline) -> Verdict:
    return judge(
        None if value is None else float(value),
        baseline,
        rule.z_threshold,
        rule.minimum_executions,
    )


def _flags_with(run: Row[Any], new: Sequence[Finding]) -> dict[str, bool]:
    added = {AnomalyMetric(finding.rule.metric_field).value: True for finding in new}
    return {**(run.anomaly_flags or {}), **added}


def _alert(run: Row[Any], new: Sequence[Finding]) -> AlertDraft:
    flagged = [
        FlaggedMetric(AnomalyMetric(f.rule.metric_field).value, f.verdict, f.window.bucket)
        for f in new
    ]
    return anomaly_alert(run.pipeline_id, run.pipeline_name, run.id, flagged)


def _result_row(run: Row[Any], finding: Finding, now: datetime) -> dict[str, Any]:
    verdict, rule = finding.verdict, finding.rule
    return {
        "pipeline_execution_id": run.id,
        "rule_id": rule.id,
        "pipeline_id": run.pipeline_id,
        "metric_field": rule.metric_field,
        "violation_value": verdict.value,
        "historical_mean": verdict.mean,
        "std_deviation_value": verdict.stddev,
        "z_threshold": rule.z_threshold,
        "threshold_min_value": verdict.lower,
        "threshold_max_value": verdict.upper,
        "z_score": verdict.z_score,
        "deviation_percentage": verdict.deviation_percentage,
        "confidence_score": verdict.confidence,
        "baseline_size": verdict.baseline_size,
        "lookback_days": rule.lookback_days,
        "seasonality": rule.seasonality,
        "seasonality_bucket": finding.window.bucket,
        "context": {
            "minimum_executions": rule.minimum_executions,
            "baseline_since": finding.window.since.isoformat(),
            "baseline_until": finding.window.until.isoformat(),
            "max_baseline_executions": MAX_BASELINE_EXECUTIONS,
            "z_score_note": None
            if verdict.z_score is not None
            else "the baseline is constant (stddev = 0): any other value is an anomaly",
        },
        "detected_at": now,
    }


async def detect_latest(db: Database, pipeline_id: int, now: datetime) -> DetectionOut:
    """Detection on the pipeline's latest successful execution, now; every rule's outcome."""
    async with db.transaction() as conn:
        if not await pipelines_repo.pipeline_exists(conn, pipeline_id):
            raise NotFound(f"pipeline {pipeline_id} not found")
        execution_id = await repo.latest_successful_execution(conn, pipeline_id)
        findings: list[Finding] = []
        if execution_id is not None:
            # The queue row first, as the job takes them (queue row, then execution): a job
            # testing this run finishes before we go on, and the two never deadlock.
            await repo.delete_pending(conn, [execution_id])
            findings = await detect_execution(conn, execution_id, now) or []
    outcomes = [finding.out() for finding in findings]
    return DetectionOut(
        status="warning" if any(o.outcome == "anomaly" for o in outcomes) else "success",
        pipeline_id=pipeline_id,
        pipeline_execution_id=execution_id,
        outcomes=outcomes,
    )


# --- unflag and results ---------------------------------------------------------------------


async def unflag(db: Database, data: UnflagRequest) -> None:
    """Clear the execution's flags for the metrics given and delete their findings, so that
    it counts in those metrics' baselines again."""
    async with db.transaction() as conn:
        run = await repo.lock_tested_execution(conn, data.pipeline_execution_id)
        if run is None or run.pipeline_id != data.pipeline_id:
            raise NotFound(
                f"pipeline execution {data.pipeline_execution_id} not found"
                + ("" if run is None else f" in pipeline {data.pipeline_id}")
            )
        flags: dict[str, bool] = dict(run.anomaly_flags or {})
        if not any(flags.values()):
            raise NotFound(f"no anomaly flags found for execution {run.id}")
        requested = list(dict.fromkeys(data.metric_field))
        cleared = [metric for metric in requested if flags.get(metric.value) is True]
        if not cleared:
            names = ", ".join(metric.value for metric in requested)
            raise NotFound(f"none of the requested metrics [{names}] are currently flagged")
        for metric in cleared:
            flags[metric.value] = False
        await repo.set_flags(conn, {run.id: flags})
        await repo.delete_results(conn, run.id, cleared)


async def list_results(
    db: Database, pipeline_id: int | None, execution_id: int | None, limit: int, offset: int
) -> list[Row[Any]]:
    async with db.transaction() as conn:
        await _require_pipeline(conn, pipeline_id)
        return await repo.list_results(conn, pipeline_id, execution_id, limit, offset)
