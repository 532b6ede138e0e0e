"""The pages about Watcher itself: alerts and their delivery, and diagnostics."""

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from watcher_server import __version__
from watcher_server.alerts import service as alerts_service
from watcher_server.alerts.channels import channel_names
from watcher_server.alerts.schemas import AlertOut, AlertStatus, DeliveryQueueOut
from watcher_server.alerts.service import queue_health
from watcher_server.anomalies import repository as anomalies_repo
from watcher_server.anomalies.messages import KIND as ANOMALY_KIND
from watcher_server.clock import utcnow
from watcher_server.db import Database, migrate
from watcher_server.db.diagnostics import DatabaseFacts, database_facts
from watcher_server.jobs.registry import build_jobs
from watcher_server.jobs.schemas import JobHealthOut
from watcher_server.jobs.service import job_health
from watcher_server.pipelines import repository as pipelines_repo
from watcher_server.settings import Settings

ALERTS_PAGE_SIZE = 50
ALERT_KINDS = ("timeliness.overdue", "freshness.stale", "freshness.resolved", ANOMALY_KIND)


@dataclass(frozen=True)
class AlertsQuery:
    kind: str | None = None
    status: AlertStatus | None = None
    pipeline_id: int | None = None
    page: int = 1

    def page_link(self, page: int) -> str:
        parts = [("kind", self.kind), ("status", self.status), ("pipeline", self.pipeline_id)]
        parts.append(("page", page if page > 1 else None))
        query = urlencode([(key, value) for key, value in parts if value])
        return f"/ui/alerts?{query}" if query else "/ui/alerts"


@dataclass
class AlertsPage:
    query: AlertsQuery
    alerts: list[AlertOut]
    names: dict[int, str]
    kinds: tuple[str, ...]
    pages: int


async def alerts_page(db: Database, query: AlertsQuery) -> AlertsPage:
    """A page of alerts, newest first, with each channel's delivery; one more is read to
    know whether there is a next page."""
    alerts = await alerts_service.list_alerts(
        db,
        status=query.status,
        pipeline_id=query.pipeline_id,
        kind=query.kind,
        limit=ALERTS_PAGE_SIZE + 1,
        offset=(query.page - 1) * ALERTS_PAGE_SIZE,
    )
    async with db.transaction() as conn:
        names = await pipelines_repo.get_names(
            conn, {a.pipeline_id for a in alerts if a.pipeline_id}
        )
    kinds = ALERT_KINDS if query.kind in (None, *ALERT_KINDS) else (*ALERT_KINDS, query.kind)
    more = len(alerts) > ALERTS_PAGE_SIZE
    return AlertsPage(
        query, alerts[:ALERTS_PAGE_SIZE], names, kinds, query.page + 1 if more else query.page
    )


# --- diagnostics ----------------------------------------------------------------------------------

# When this process imported the console: the process's start, near enough.
STARTED_AT = utcnow()


@dataclass
class Diagnostics:
    database: DatabaseFacts
    head_revision: str | None
    jobs: list[JobHealthOut]
    alerts: DeliveryQueueOut
    anomaly_queue: int
    version: str
    started_at: datetime
    background_jobs: bool


async def diagnostics(db: Database, settings: Settings, now: datetime) -> Diagnostics:
    async with db.transaction() as conn:
        facts = await database_facts(conn)
        jobs = await job_health(
            conn, build_jobs(settings), now, runs_here=settings.watcher_background_jobs
        )
        queue = await queue_health(conn, channel_names(settings), now)
        anomaly_queue = await anomalies_repo.count_pending(conn)
    return Diagnostics(
        database=facts,
        head_revision=migrate.head_revision(),
        jobs=jobs,
        alerts=queue,
        anomaly_queue=anomaly_queue,
        version=__version__,
        started_at=STARTED_AT,
        background_jobs=settings.watcher_background_jobs,
    )
