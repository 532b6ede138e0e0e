"""The metrics that reflect the database, computed when Prometheus scrapes.

They are the same whichever worker answers, so they are read from the database at scrape time
rather than kept by each process.
"""

from datetime import datetime

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from watcher_server.alerts import repository as alerts_repo
from watcher_server.anomalies import repository as anomalies_repo
from watcher_server.db import Database
from watcher_server.pipelines import health_repository


async def database_families(database: Database, now: datetime) -> list[Metric]:
    """Pipelines per health status, alerts waiting for delivery, runs waiting for detection."""
    async with database.transaction() as conn:
        by_status, _ = await health_repository.list_by_status(
            conn, now, statuses=(), type_name=None, name_part=None, limit=0, offset=0
        )
        alerts = await alerts_repo.queue_counts(conn)
        detections = await anomalies_repo.queued_detections(conn)
    pipelines = GaugeMetricFamily(
        "watcher_pipelines",
        "Pipelines per health status, as the console shows them.",
        labels=["status"],
    )
    for health, count in by_status.items():
        pipelines.add_metric([health.slug], count)
    return [
        pipelines,
        GaugeMetricFamily(
            "watcher_alerts_pending",
            "Alerts not yet delivered to every channel (waiting to be routed or sent).",
            value=alerts.pending_alerts + alerts.unrouted,
        ),
        GaugeMetricFamily(
            "watcher_anomaly_detection_queue",
            "Successful runs waiting to be tested for anomalies.",
            value=detections,
        ),
    ]
