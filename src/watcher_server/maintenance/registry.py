"""What log cleanup deletes: one declarative entry per table, and a check that none is missing.

`pipeline_execution` is always cleaned. Every other table joins by adding one entry to
`REGISTRY` below:

* `ExecutionChild`: rows that belong to one run (timeliness log, anomaly result). They are deleted
  in the same batch as their run, just before it.
* `StandaloneLog`: rows that expire by their own timestamp and the cutoff of their kind's
  retention (freshness log, alert outbox, and the timeliness log and anomaly results too, which
  may be kept for less time than their runs). Rows older than the cutoff go, optionally only
  those matching a condition (delivered alerts only). A table can have both entries: its rows
  then go at their own cutoff, or with their run, whichever comes first.
* `ExecutionReference`: rows that point at a run but must not go with it (an alert not delivered
  yet, pending detection work). While such a row exists, its run and every run it is nested in are
  kept. When the same table also has a `StandaloneLog` entry, rows that entry deletes stop counting.

`registry_problems()` (run by the tests) lists every foreign key to a cleaned table that no entry
covers, and every cleanup lookup without an index, so a table added later cannot make cleanup fail
on a foreign key or scan a large table once per batch.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column, MetaData, Table, UniqueConstraint, exists, select
from sqlalchemy.sql.elements import ColumnElement

from watcher_server.maintenance.retention import Cutoffs, Kind
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

# The condition a row past its cutoff must also meet to go; it is given the table and the cutoff.
RowFilter = Callable[[Table, datetime], ColumnElement[bool]]


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
    """A table whose rows go once `timestamp_column` is before the cutoff of the `retention`
    kind (and `only` holds)."""

    table: Table
    timestamp_column: str
    retention: Kind
    only: RowFilter | None = None
    seed_counter: str | None = None

    def expired(self, cutoffs: Cutoffs) -> ColumnElement[bool]:
        cutoff = cutoffs[self.retention]
        condition = self.table.c[self.timestamp_column] < cutoff
        return condition if self.only is None else condition & self.only(self.table, cutoff)


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


def _delivered(alerts: Table, _cutoff: datetime) -> ColumnElement[bool]:
    """Alerts whose delivery is over: routed, with no delivery still being retried (delivered,
    or undeliverable: no channel was configured). A pending alert is never lost to cleanup."""
    pending = select(AlertDelivery.alert_id).where(
        AlertDelivery.alert_id == alerts.c.id, AlertDelivery.status == "pending"
    )
    return alerts.c.routed_at.is_not(None) & ~pending.exists()


def _resolved(logs: Table, _cutoff: datetime) -> ColumnElement[bool]:
    """Freshness episodes that ended; an open one stays, or the next check would re-alert."""
    return logs.c.resolved_at.is_not(None)


def _run_ended_before(logs: Table, cutoff: datetime) -> ColumnElement[bool]:
    """Timeliness rows of runs that ended before the cutoff. The row is how the check knows it
    logged and alerted a run: without it, a run still going, or one that ended inside the check's
    lookback window, would be logged and alerted again."""
    return exists().where(
        EXECUTIONS.c.id == logs.c.pipeline_execution_id, EXECUTIONS.c.end_date < cutoff
    )


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
            "freshness_log",
            only=_resolved,
            seed_counter="total_freshness_pipeline_logs_deleted",
        ),
        StandaloneLog(Alert.__table__, "created_at", "alert", only=_delivered),
        # Rows of runs still kept, when their own retention is the shorter.
        StandaloneLog(
            TimelinessPipelineExecutionLog.__table__,
            "created_at",
            "timeliness_log",
            only=_run_ended_before,
        ),
        StandaloneLog(AnomalyDetectionResult.__table__, "detected_at", "anomaly_result"),
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
