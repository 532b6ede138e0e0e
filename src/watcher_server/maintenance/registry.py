"""What log cleanup deletes: one declarative entry per table, and a check that none is missing.

`pipeline_execution` is always cleaned. Every other table joins by adding one entry to
`REGISTRY` below:

* `ExecutionChild`: rows that belong to one run (timeliness log, anomaly result). They are deleted
  in the same batch as their run, just before it.
* `StandaloneLog`: rows with their own timestamp (freshness log, alert outbox). Rows older than the
  cutoff go, optionally only those matching a condition (delivered alerts only).
* `ExecutionReference`: rows that point at a run but must not go with it (an alert not delivered
  yet, pending detection work). While such a row exists, its run and every run it is nested in are
  kept. When the same table also has a `StandaloneLog` entry, rows that entry deletes stop counting.

`registry_problems()` (run by the tests) lists every foreign key to a cleaned table that no entry
covers, and every cleanup lookup without an index, so a table added later cannot make cleanup fail
on a foreign key or scan a large table once per batch.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, MetaData, Table, UniqueConstraint, select
from sqlalchemy.sql.elements import ColumnElement

from watcher_server.models import (
    Alert,
    AlertDelivery,
    AnomalyDetectionPending,
    AnomalyDetectionResult,
    FreshnessPipelineLog,
    PipelineExecution,
    TimelinessPipelineExecutionLog,
)

EXECUTIONS: Table = PipelineExecution.__table__  # type: ignore[assignment]

RowFilter = Callable[[Table], ColumnElement[bool]]


@dataclass(frozen=True)
class ExecutionChild:
    """A table whose rows belong to one run and are deleted with it (children first)."""

    table: Table
    execution_column: str
    seed_counter: str | None = None

    @property
    def column(self) -> Column[Any]:
        return self.table.c[self.execution_column]


@dataclass(frozen=True)
class ExecutionReference:
    """A table whose rows keep the run they point at (and the runs it is nested in)."""

    table: Table
    execution_column: str

    @property
    def column(self) -> Column[Any]:
        return self.table.c[self.execution_column]


@dataclass(frozen=True)
class StandaloneLog:
    """A table whose rows go once `timestamp_column` is before the cutoff (and `only` holds)."""

    table: Table
    timestamp_column: str
    only: RowFilter | None = None
    seed_counter: str | None = None

    def expired(self, cutoff: Any) -> ColumnElement[bool]:
        condition = self.table.c[self.timestamp_column] < cutoff
        return condition if self.only is None else condition & self.only(self.table)


@dataclass(frozen=True)
class CleanupRegistry:
    execution_children: tuple[ExecutionChild, ...] = ()
    execution_references: tuple[ExecutionReference, ...] = ()
    standalone_logs: tuple[StandaloneLog, ...] = ()

    def tables(self) -> list[str]:
        """Every table cleanup deletes from, in the order a report lists them."""
        names = [EXECUTIONS.name]
        names += [entry.table.name for entry in self.execution_children]
        names += [entry.table.name for entry in self.standalone_logs]
        return list(dict.fromkeys(names))

    def standalone_rule(self, table: Table) -> StandaloneLog | None:
        return next((log for log in self.standalone_logs if log.table is table), None)


def _delivered(alerts: Table) -> ColumnElement[bool]:
    """Alerts every channel has taken: routed, with no delivery still being retried."""
    pending = select(AlertDelivery.alert_id).where(
        AlertDelivery.alert_id == alerts.c.id, AlertDelivery.status == "pending"
    )
    return alerts.c.routed_at.is_not(None) & ~pending.exists()


def _resolved(logs: Table) -> ColumnElement[bool]:
    """Freshness episodes that ended; an open one stays, or the next check would re-alert."""
    return logs.c.resolved_at.is_not(None)


# The plug-in point: one entry per table cleanup deletes from (see the module docstring).
REGISTRY = CleanupRegistry(
    execution_children=(
        ExecutionChild(
            TimelinessPipelineExecutionLog.__table__,
            "pipeline_execution_id",
            seed_counter="total_timeliness_pipeline_execution_logs_deleted",
        ),
        ExecutionChild(
            AnomalyDetectionResult.__table__,
            "pipeline_execution_id",
            seed_counter="total_anomaly_detection_results_deleted",
        ),
    ),
    # A run still waiting for anomaly detection is kept until detection has seen it.
    execution_references=(
        ExecutionReference(AnomalyDetectionPending.__table__, "pipeline_execution_id"),
    ),
    standalone_logs=(
        StandaloneLog(
            FreshnessPipelineLog.__table__,
            "created_at",
            only=_resolved,
            seed_counter="total_freshness_pipeline_logs_deleted",
        ),
        StandaloneLog(Alert.__table__, "created_at", only=_delivered),
    ),
)


def registry_problems(metadata: MetaData, registry: CleanupRegistry) -> list[str]:
    """Why cleanup could fail or crawl with these tables; empty when every case is covered."""
    return _uncovered_foreign_keys(metadata, registry) + _unindexed_lookups(registry)


def _uncovered_foreign_keys(metadata: MetaData, registry: CleanupRegistry) -> list[str]:
    cleaned = set(registry.tables())
    covered = {(EXECUTIONS.name, "parent_id")}  # nested runs: deleted leaves first
    for entry in (*registry.execution_children, *registry.execution_references):
        covered.add((entry.table.name, entry.execution_column))
    problems = []
    for table in metadata.tables.values():
        for key in table.foreign_keys:
            target = key.column.table.name
            source = (table.name, key.parent.name)
            if target not in cleaned or source in covered or _follows_deletes(key.ondelete):
                continue
            if target == EXECUTIONS.name:
                hint = "add an ExecutionChild or ExecutionReference entry"
            else:
                hint = "give the foreign key ON DELETE CASCADE or SET NULL"
            problems.append(f"{table.name}.{key.parent.name} refers to {target}: {hint}")
    return problems


def _follows_deletes(ondelete: str | None) -> bool:
    """Whether the database itself removes or detaches referring rows (RESTRICT does not)."""
    return (ondelete or "").upper() in ("CASCADE", "SET NULL", "SET DEFAULT")


def _unindexed_lookups(registry: CleanupRegistry) -> list[str]:
    lookups = [
        (entry.table, entry.execution_column)
        for entry in (*registry.execution_children, *registry.execution_references)
    ]
    lookups += [(log.table, log.timestamp_column) for log in registry.standalone_logs]
    return [
        f"{table.name}.{column} is not the first column of an index: every batch would scan "
        f"{table.name}"
        for table, column in lookups
        if column not in _leading_columns(table)
    ]


def _leading_columns(table: Table) -> set[str]:
    """Columns some index can seek on: the first column of each index, key and unique set."""
    keyed: list[Any] = [*table.indexes, table.primary_key]
    keyed += [c for c in table.constraints if isinstance(c, UniqueConstraint)]
    return {next(iter(item.columns)).name for item in keyed if len(item.columns)}
