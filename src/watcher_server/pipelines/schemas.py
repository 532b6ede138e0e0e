"""Request and response bodies of /pipeline_type and /pipeline."""

from datetime import datetime
from typing import Any, ClassVar

from pydantic import AliasChoices, Field, model_validator

from watcher_server.common.schemas import (
    BodyId,
    ClientId,
    Flag,
    Metadata,
    Name,
    ResponseModel,
    ThresholdFields,
    Watermark,
    at_least_one,
    not_both,
)
from watcher_server.models.base import DatePart


class IdOut(ResponseModel):
    id: int


def _require_id_or_name(model: Any) -> None:
    if model.id is None and model.name is None:
        raise ValueError("Either 'id' or 'name' must be provided")


class PipelineTypeCreate(ThresholdFields):
    name: Name
    mute_freshness_check: Flag | None = None
    mute_timeliness_check: Flag | None = None


class PipelineTypePatch(ThresholdFields):
    """Find the type by `id` (then `name` renames it) or by `name`; set what is sent."""

    partial_update: ClassVar[bool] = True

    id: BodyId | None = None
    name: Name | None = None
    mute_freshness_check: Flag | None = None
    mute_timeliness_check: Flag | None = None

    @model_validator(mode="after")
    def _lookup_key(self) -> "PipelineTypePatch":
        _require_id_or_name(self)
        return self

    @classmethod
    def rules(cls) -> list[dict[str, Any]]:
        return [*super().rules(), at_least_one("id", "name")]


class ThresholdOut(ResponseModel):
    freshness_number: int | None
    freshness_datepart: DatePart | None
    mute_freshness_check: bool
    timeliness_number: int | None
    timeliness_datepart: DatePart | None
    mute_timeliness_check: bool
    created_at: datetime
    updated_at: datetime | None


class PipelineTypeOut(ThresholdOut):
    id: int
    name: str


class PipelineCreate(ThresholdFields):
    """Get-or-create by name; the body is the pipeline's configuration as its code declares it."""

    name: Name
    pipeline_type_name: Name
    next_watermark: Watermark | None = None
    pipeline_metadata: Metadata | None = None
    # Accepted as in the original's first API; applied like the other configuration fields.
    mute_freshness_check: Flag | None = None
    mute_timeliness_check: Flag | None = None
    load_lineage: Flag | None = None


class PipelineSyncOut(ResponseModel):
    id: int
    active: bool
    load_lineage: bool
    watermark: str | None


class PipelinePatch(ThresholdFields):
    """Find the pipeline by `id` (alias `pipeline_id`; then `name` renames it) or by `name`.

    Fields left out are unchanged; a null clears a nullable field.
    """

    partial_update: ClassVar[bool] = True

    id: ClientId | None = Field(
        default=None,
        validation_alias=AliasChoices("id", "pipeline_id"),
        description="Also accepted as pipeline_id.",
    )
    name: Name | None = None
    pipeline_type_id: BodyId | None = None
    pipeline_type_name: Name | None = None
    watermark: Watermark | None = None
    next_watermark: Watermark | None = None
    pipeline_metadata: Metadata | None = None
    mute_freshness_check: Flag | None = None
    mute_timeliness_check: Flag | None = None
    load_lineage: Flag | None = None
    active: Flag | None = None

    @model_validator(mode="after")
    def _lookup_key(self) -> "PipelinePatch":
        _require_id_or_name(self)
        if self.pipeline_type_id is not None and self.pipeline_type_name is not None:
            raise ValueError("give pipeline_type_id or pipeline_type_name, not both")
        return self

    @classmethod
    def rules(cls) -> list[dict[str, Any]]:
        return [
            *super().rules(),
            at_least_one("id", "name"),
            not_both("pipeline_type_id", "pipeline_type_name"),
        ]


class PipelineOut(ThresholdOut):
    id: int
    name: str
    pipeline_type_id: int
    watermark: str | None
    next_watermark: str | None
    pipeline_metadata: Metadata | None
    last_target_insert: datetime | None
    last_target_update: datetime | None
    last_target_soft_delete: datetime | None
    load_lineage: bool
    active: bool
    input_hash: str | None
