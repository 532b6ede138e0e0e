"""Request and response bodies of the monitoring endpoints."""

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from watcher_server.common.schemas import AsInteger, RequestModel, ResponseModel
from watcher_server.models.base import DatePart
from watcher_server.monitoring.rules import FreshAgain, OverdueExecution, StalePipeline
from watcher_server.monitoring.thresholds import ConfigLevel, Threshold
from watcher_server.settings import MAX_LOOKBACK_MINUTES

CheckStatus = Literal["success", "warning"]


class TimelinessRequest(RequestModel):
    lookback_minutes: Annotated[
        int, Field(strict=True, ge=5, le=MAX_LOOKBACK_MINUTES), AsInteger
    ] = Field(
        default=60,
        description="Successful runs that ended this many minutes ago or later are checked; "
        "runs still going are always checked.",
    )


class ThresholdOut(BaseModel):
    number: int
    datepart: DatePart
    config_level: ConfigLevel = Field(
        description="Whose setting applied: the pipeline's own or its type's."
    )
    used_child_config: bool = Field(description="The original's name: true for the pipeline's own.")

    @classmethod
    def of(cls, threshold: Threshold) -> "ThresholdOut":
        return cls(
            number=threshold.number,
            datepart=threshold.datepart,
            config_level=threshold.level,
            used_child_config=threshold.used_child_config,
        )


class OverdueExecutionOut(BaseModel):
    pipeline_execution_id: int
    pipeline_id: int
    pipeline_name: str
    execution_status: Literal["running", "completed"]
    start_date: datetime
    duration_seconds: int = Field(description="So far for a running execution.")
    seconds_threshold: int
    deadline_at: datetime
    threshold: ThresholdOut
    new: bool = Field(description="First found by this check (logged and alerted now).")


class TimelinessReport(BaseModel):
    status: CheckStatus = Field(description="warning when any execution is overdue.")
    checked_at: datetime
    lookback_minutes: int
    overdue_count: int
    new_count: int
    items: list[OverdueExecutionOut]

    @classmethod
    def from_findings(
        cls,
        findings: Sequence[OverdueExecution],
        logged: set[int],
        now: datetime,
        lookback_minutes: int,
    ) -> "TimelinessReport":
        items = [
            OverdueExecutionOut(
                pipeline_execution_id=finding.execution_id,
                pipeline_id=finding.pipeline_id,
                pipeline_name=finding.pipeline_name,
                execution_status=finding.status,
                start_date=finding.start_date,
                duration_seconds=finding.duration_seconds,
                seconds_threshold=finding.seconds_threshold,
                deadline_at=finding.deadline_at,
                threshold=ThresholdOut.of(finding.threshold),
                new=finding.execution_id in logged,
            )
            for finding in findings
        ]
        return cls(
            status="warning" if items else "success",
            checked_at=now,
            lookback_minutes=lookback_minutes,
            overdue_count=len(items),
            new_count=sum(item.new for item in items),
            items=items,
        )


class StalePipelineOut(BaseModel):
    pipeline_id: int
    pipeline_name: str
    last_dml_timestamp: datetime | None = Field(description="Null when it never loaded data.")
    measured_from: datetime = Field(
        description="The last DML, or the pipeline's creation when it never loaded."
    )
    deadline_at: datetime = Field(description="When it went stale.")
    threshold: ThresholdOut
    new: bool = Field(description="A new episode, logged and alerted by this check.")


class FreshAgainOut(BaseModel):
    pipeline_id: int
    pipeline_name: str
    last_dml_timestamp: datetime | None
    stale_since: datetime


class FreshnessReport(BaseModel):
    status: CheckStatus = Field(description="warning when any pipeline is stale.")
    checked_at: datetime
    stale_count: int
    new_count: int
    items: list[StalePipelineOut]
    resolved: list[FreshAgainOut] = Field(
        description="Pipelines stale at the previous check and fresh now (alerted now)."
    )

    @classmethod
    def from_findings(
        cls,
        stale: Sequence[StalePipeline],
        logged: set[int],
        recovered: Sequence[FreshAgain],
        now: datetime,
    ) -> "FreshnessReport":
        items = [
            StalePipelineOut(
                pipeline_id=finding.pipeline_id,
                pipeline_name=finding.pipeline_name,
                last_dml_timestamp=finding.last_dml,
                measured_from=finding.measured_from,
                deadline_at=finding.deadline_at,
                threshold=ThresholdOut.of(finding.threshold),
                new=finding.new and finding.pipeline_id in logged,
            )
            for finding in stale
        ]
        return cls(
            status="warning" if items else "success",
            checked_at=now,
            stale_count=len(items),
            new_count=sum(item.new for item in items),
            items=items,
            resolved=[
                FreshAgainOut(
                    pipeline_id=finding.pipeline_id,
                    pipeline_name=finding.pipeline_name,
                    last_dml_timestamp=finding.last_dml,
                    stale_since=finding.stale_since,
                )
                for finding in recovered
            ],
        )


class TimelinessLogOut(ResponseModel):
    pipeline_execution_id: int
    pipeline_id: int
    execution_status: str
    duration_seconds: int
    seconds_threshold: int
    deadline_at: datetime
    timely_number: int
    timely_datepart: DatePart
    used_child_config: bool
    created_at: datetime


class FreshnessLogOut(ResponseModel):
    id: int
    pipeline_id: int
    last_dml_timestamp: datetime | None
    measured_from: datetime
    deadline_at: datetime
    evaluation_timestamp: datetime
    freshness_number: int
    freshness_datepart: DatePart
    used_child_config: bool
    resolved_at: datetime | None
    created_at: datetime
