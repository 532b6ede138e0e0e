"""What each console page shows, read through the domains' repositories and services.

Route handlers call one function here per page; every read of a page happens in one
transaction, so a page never mixes two moments of the data.
"""

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Row

from watcher_server.alerts import service as alerts_service
from watcher_server.anomalies import repository as anomalies_repo
from watcher_server.anomalies.service import MAX_BASELINE_EXECUTIONS
from watcher_server.db import Database
from watcher_server.executions import read_repository as history
from watcher_server.executions import repository as executions_repo
from watcher_server.lineage import read_repository as lineage_reads
from watcher_server.models import AnomalyMetric
from watcher_server.monitoring import repository as monitoring_repo
from watcher_server.monitoring.deadlines import describe_interval
from watcher_server.monitoring.thresholds import (
    ConfigLevel,
    LevelSetting,
    Threshold,
    resolve_threshold,
)
from watcher_server.pipelines import health_repository as health_repo
from watcher_server.pipelines import repository as pipelines_repo
from watcher_server.pipelines.health import WORST_FIRST, Health, status_of_rank
from watcher_server.ui.charts import Band, chart_document, current_bands, success_rate

OVERVIEW_PAGE_SIZE = 50
MAX_TYPES_LISTED = 1000


@dataclass(frozen=True)
class OverviewQuery:
    """The overview's filters, as its query string gives them."""

    statuses: tuple[Health, ...] = ()
    type_name: str | None = None
    name: str | None = None
    page: int = 1

    def link(self, **changes: Any) -> str:
        """The overview's URL with some filters changed (paging restarts unless given)."""
        values = {
            "statuses": self.statuses,
            "type_name": self.type_name,
            "name": self.name,
            "page": 1,
            **changes,
        }
        parts = [("status", status.slug) for status in values["statuses"]]
        parts += [("type", values["type_name"]), ("q", values["name"])]
        if values["page"] > 1:
            parts.append(("page", str(values["page"])))
        query = urlencode([(key, value) for key, value in parts if value])
        return f"/ui?{query}" if query else "/ui"

    def page_link(self, page: int) -> str:
        return self.link(page=page)


@dataclass(frozen=True)
class PipelineHealthRow:
    """One pipeline as the overview lists it."""

    row: Row[Any]
    status: Health

    def __getattr__(self, name: str) -> Any:
        return getattr(self.row, name)


@dataclass
class Overview:
    query: OverviewQuery
    counts: dict[Health, int]
    rows: list[PipelineHealthRow]
    types: list[str]
    total: int = 0
    pages: int = 1
    statuses: tuple[Health, ...] = field(default=WORST_FIRST)


async def overview(db: Database, now: datetime, query: OverviewQuery) -> Overview:
    """Counts per status, and one page of pipelines worst first."""
    filters = {"type_name": query.type_name, "name_part": query.name}
    offset = (query.page - 1) * OVERVIEW_PAGE_SIZE
    async with db.transaction() as conn:
        counts, rows = await health_repo.list_by_status(
            conn,
            now,
            statuses=query.statuses,
            limit=OVERVIEW_PAGE_SIZE,
            offset=offset,
            **filters,
        )
        types = [row.name for row in await pipelines_repo.list_types(conn, MAX_TYPES_LISTED, 0)]
    selected = query.statuses or WORST_FIRST
    total = sum(counts[status] for status in selected)
    return Overview(
        query=query,
        counts=counts,
        rows=[PipelineHealthRow(row, status_of_rank(row.rank)) for row in rows],
        types=sorted(types),
        total=total,
        pages=max(1, math.ceil(total / OVERVIEW_PAGE_SIZE)),
    )


# --- the pipeline page ------------------------------------------------------------------------

WINDOWS_DAYS = (1, 7, 30, 90, 365)
DEFAULT_WINDOW_DAYS = 30
RUNS_PAGE_SIZE = 25
MAX_CHARTED_RUNS = 5_000
RECENT = 10


@dataclass(frozen=True)
class CheckSetting:
    """A check's effective threshold and where it comes from, or why there is none."""

    check: str
    threshold: Threshold | None
    muted_on_pipeline: bool
    muted_on_type: bool
    type_name: str

    @property
    def source(self) -> str:
        if self.muted_on_pipeline or self.muted_on_type:
            where = "the pipeline" if self.muted_on_pipeline else f"its type {self.type_name}"
            return f"muted on {where}"
        if self.threshold is None:
            return "no threshold on the pipeline or its type"
        if self.threshold.level is ConfigLevel.PIPELINE:
            return "the pipeline's own"
        return f"from its type {self.type_name}"

    @property
    def text(self) -> str:
        if self.threshold is None:
            return "—"
        return describe_interval(self.threshold.number, self.threshold.datepart)


@dataclass
class PipelinePage:
    pipeline: Row[Any]
    pipeline_type: Row[Any]
    health: PipelineHealthRow
    checks: list[CheckSetting]
    window_days: int
    charted: list[Row[Any]]
    chart: dict[str, Any]
    bands: dict[AnomalyMetric, Band]
    success: tuple[int, int]
    runs: list[Row[Any]]
    runs_page: int
    runs_pages: int
    rules: list[Row[Any]]
    findings: list[Row[Any]]
    timeliness: list[Row[Any]]
    freshness: list[Row[Any]]
    alerts: list[Any]
    addresses: list[Row[Any]]

    def runs_link(self, page: int) -> str:
        return f"/ui/pipelines/{self.pipeline.id}?days={self.window_days}&runs_page={page}#runs"


def _check_settings(pipeline: Row[Any], pipeline_type: Row[Any]) -> list[CheckSetting]:
    settings = []
    for check in ("timeliness", "freshness"):
        own, inherited = (
            LevelSetting(
                row._mapping[f"{check}_number"],
                row._mapping[f"{check}_datepart"],
                row._mapping[f"mute_{check}_check"],
            )
            for row in (pipeline, pipeline_type)
        )
        unmuted = (
            LevelSetting(own.number, own.datepart),
            LevelSetting(inherited.number, inherited.datepart),
        )
        settings.append(
            CheckSetting(
                check, resolve_threshold(*unmuted), own.muted, inherited.muted, pipeline_type.name
            )
        )
    return settings


async def pipeline_page(
    db: Database, now: datetime, pipeline_id: int, window_days: int, runs_page: int
) -> PipelinePage | None:
    """Everything the pipeline page shows; None when there is no such pipeline."""
    since = now - timedelta(days=window_days)
    async with db.transaction() as conn:
        pipeline = await pipelines_repo.get_pipeline(conn, pipeline_id)
        if pipeline is None:
            return None
        pipeline_type = await pipelines_repo.get_type(conn, pipeline.pipeline_type_id)
        health = await health_repo.pipeline_health(conn, now, pipeline_id)
        charted = await history.runs_since(conn, pipeline_id, since, MAX_CHARTED_RUNS)
        rules = await anomalies_repo.list_rules(conn, pipeline_id, 100, 0)
        active = [rule for rule in rules if rule.active]
        longest = max((rule.lookback_days for rule in active), default=0)
        baseline_runs = (
            await history.successful_runs_since(
                conn, pipeline_id, now - timedelta(days=longest), 4 * MAX_BASELINE_EXECUTIONS
            )
            if active
            else []
        )
        total_runs = await history.count_runs(conn, pipeline_id)
        runs_pages = max(1, math.ceil(total_runs / RUNS_PAGE_SIZE))
        runs_page = min(runs_page, runs_pages)
        runs = await executions_repo.list_executions(
            conn, pipeline_id, RUNS_PAGE_SIZE, (runs_page - 1) * RUNS_PAGE_SIZE
        )
        findings = await anomalies_repo.list_results(conn, pipeline_id, None, RECENT, 0)
        timeliness = await monitoring_repo.list_timeliness_logs(conn, pipeline_id, RECENT, 0)
        freshness = await monitoring_repo.list_freshness_logs(conn, pipeline_id, RECENT, 0)
        addresses = await lineage_reads.get_pipeline_addresses(conn, pipeline_id)
    alerts = await alerts_service.list_alerts(
        db, status=None, pipeline_id=pipeline_id, kind=None, limit=RECENT, offset=0
    )
    bands = {
        AnomalyMetric(rule.metric_field): current_bands(rule, baseline_runs, now) for rule in active
    }
    return PipelinePage(
        pipeline=pipeline,
        pipeline_type=pipeline_type,
        health=PipelineHealthRow(health, status_of_rank(health.rank)),
        checks=_check_settings(pipeline, pipeline_type),
        window_days=window_days,
        charted=charted,
        chart=chart_document(charted, bands, since, now),
        # The rules table shows the band of now's bucket: the next run's, if it started now.
        bands={metric: band for metric, rule in bands.items() if (band := rule.at(now))},
        success=success_rate(charted),
        runs=runs,
        runs_page=runs_page,
        runs_pages=runs_pages,
        rules=rules,
        findings=findings,
        timeliness=timeliness,
        freshness=freshness,
        alerts=alerts,
        addresses=addresses,
    )
