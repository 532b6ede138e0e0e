"""Every table, in one place, so that Alembic and the repositories see the same schema."""

from watcher_server.models.alerts import Alert, AlertDelivery
from watcher_server.models.anomalies import (
    AnomalyDetectionPending,
    AnomalyDetectionResult,
    AnomalyDetectionRule,
    AnomalyMetric,
    Seasonality,
)
from watcher_server.models.auth import ApiKey
from watcher_server.models.base import Base, DatePart
from watcher_server.models.executions import PipelineExecution
from watcher_server.models.jobs import JobState
from watcher_server.models.lineage import (
    Address,
    AddressLineage,
    AddressLineageClosure,
    AddressType,
)
from watcher_server.models.monitoring import FreshnessPipelineLog, TimelinessPipelineExecutionLog
from watcher_server.models.pipelines import Pipeline, PipelineType
from watcher_server.models.reports import PipelineDailyTotals

__all__ = [
    "Address",
    "AddressLineage",
    "AddressLineageClosure",
    "AddressType",
    "Alert",
    "AlertDelivery",
    "AnomalyDetectionPending",
    "AnomalyDetectionResult",
    "AnomalyDetectionRule",
    "AnomalyMetric",
    "ApiKey",
    "Base",
    "DatePart",
    "FreshnessPipelineLog",
    "JobState",
    "Pipeline",
    "PipelineDailyTotals",
    "PipelineExecution",
    "PipelineType",
    "Seasonality",
    "TimelinessPipelineExecutionLog",
]
