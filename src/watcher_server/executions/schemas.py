"""Request and response bodies of the execution endpoints."""

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, StringConstraints, computed_field

from watcher_server.common.schemas import (
    NUL_FREE,
    ClientId,
    Count,
    Flag,
    Metadata,
    RequestModel,
    ResponseModel,
    UTCDatetime,
    Watermark,
)
from watcher_server.models.executions import IDEMPOTENCY_KEY_LENGTH

IdempotencyKey = Annotated[
    str,
    StringConstraints(min_length=1, max_length=IDEMPOTENCY_KEY_LENGTH),
    Field(json_schema_extra={"pattern": NUL_FREE}),
]


class ExecutionStart(RequestModel):
    pipeline_id: ClientId
    start_date: UTCDatetime | None = Field(
        default=None, description="When the run started; the server's time if omitted."
    )
    parent_id: ClientId | None = Field(
        default=None,
        validation_alias=AliasChoices("parent_id", "parent_execution_id"),
        description="The run this one is nested in (also accepted as parent_execution_id).",
    )
    full_load: Flag | None = None
    watermark: Watermark | None = Field(
        default=None, description="Lower bound of the run; the pipeline's watermark if omitted."
    )
    next_watermark: Watermark | None = Field(
        default=None,
        description="Upper bound of the run; the pipeline's next_watermark if omitted. The "
        "pipeline's watermark becomes this value when the run succeeds.",
    )
    execution_metadata: Metadata | None = None
    idempotency_key: IdempotencyKey | None = Field(
        default=None,
        description="Makes a retried start return the run it created (also the Idempotency-Key "
        "header).",
    )


class ExecutionEnd(RequestModel):
    id: ClientId
    pipeline_id: ClientId | None = Field(
        default=None, description="Checked against the execution's pipeline when given."
    )
    end_date: UTCDatetime | None = Field(
        default=None, description="When the run ended; the server's time if omitted."
    )
    completed_successfully: Flag | None = Field(default=None, description="Defaults to true.")
    inserts: Count | None = None
    updates: Count | None = None
    soft_deletes: Count | None = None
    total_rows: Count | None = None
    execution_metadata: Metadata | None = Field(
        default=None, description="Merged over the metadata given at start."
    )


class ExecutionOut(ResponseModel):
    id: int
    parent_id: int | None
    pipeline_id: int
    start_date: datetime
    end_date: datetime | None
    date_recorded: date
    hour_recorded: int
    duration_seconds: int | None
    completed_successfully: bool | None
    full_load: bool | None
    inserts: int | None
    updates: int | None
    soft_deletes: int | None
    total_rows: int | None
    throughput: float | None
    watermark: str | None
    next_watermark: str | None
    execution_metadata: Metadata | None
    anomaly_flags: dict[str, bool] | None

    @computed_field
    @property
    def status(self) -> Literal["running", "succeeded", "failed"]:
        if self.completed_successfully is None:
            return "running"
        return "succeeded" if self.completed_successfully else "failed"


class ExecutionTreeOut(ExecutionOut):
    child_executions: list["ExecutionTreeOut"] = Field(default_factory=list)
