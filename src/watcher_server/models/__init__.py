"""Every table, in one place, so that Alembic and the repositories see the same schema."""

from watcher_server.models.base import Base, DatePart
from watcher_server.models.executions import PipelineExecution
from watcher_server.models.lineage import (
    Address,
    AddressLineage,
    AddressLineageClosure,
    AddressType,
)
from watcher_server.models.pipelines import Pipeline, PipelineType

__all__ = [
    "Address",
    "AddressLineage",
    "AddressLineageClosure",
    "AddressType",
    "Base",
    "DatePart",
    "Pipeline",
    "PipelineExecution",
    "PipelineType",
]
