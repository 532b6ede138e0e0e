"""When a run is overdue and when a pipeline is stale. Pure functions, no database."""

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from watcher_server.monitoring.deadlines import add_interval
from watcher_server.monitoring.thresholds import Threshold

RunStatus = Literal["running", "completed"]


@dataclass(frozen=True)
class OverdueExecution:
    execution_id: int
    pipeline_id: int
    pipeline_name: str
    status: RunStatus
    start_date: datetime
    duration_seconds: int
    deadline_at: datetime
    threshold: Threshold
    new: bool  # found overdue for the first time by this check

    @property
    def seconds_threshold(self) -> int:
        return round((self.deadline_at - self.start_date).total_seconds())


@dataclass(frozen=True)
class StalePipeline:
    pipeline_id: int
    pipeline_name: str
    last_dml: datetime | None
    measured_from: datetime
    deadline_at: datetime
    threshold: Threshold
    new: bool  # a new episode: this check logged it and raised its alert


@dataclass(frozen=True)
class FreshAgain:
    episode_id: int
    pipeline_id: int
    pipeline_name: str
    last_dml: datetime | None
    stale_since: datetime


def missed_deadline(
    start: datetime, end: datetime | None, threshold: Threshold, now: datetime
) -> datetime | None:
    """The deadline a run missed (it ended after it, or is still going past it), else None."""
    deadline = add_interval(start, threshold.number, threshold.datepart)
    if deadline is None:
        return None
    return deadline if (end if end is not None else now) > deadline else None


def last_dml(*timestamps: datetime | None) -> datetime | None:
    """The latest of a pipeline's last insert, update and soft delete; None if it never loaded."""
    present = [moment for moment in timestamps if moment is not None]
    return max(present) if present else None


def stale_since(measured_from: datetime, threshold: Threshold, now: datetime) -> datetime | None:
    """When a pipeline went stale (its deadline, strictly in the past), or None while fresh."""
    deadline = add_interval(measured_from, threshold.number, threshold.datepart)
    return deadline if deadline is not None and deadline < now else None
