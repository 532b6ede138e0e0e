"""Pipeline types and pipelines: the configuration and state each pipeline resumes from."""

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String, false, true
from sqlalchemy.orm import Mapped, mapped_column

from watcher_server.db.types import BigId, JSONDocument, UTCDateTime
from watcher_server.models.base import Base, DatePart, Timestamps

NAME_LENGTH = 150
WATERMARK_LENGTH = 255
datepart_enum = Enum(DatePart, name="datepartenum")


class ThresholdSettings:
    """Freshness and timeliness settings, shared by a pipeline and its type (the fallback)."""

    freshness_number: Mapped[int | None] = mapped_column(Integer)
    freshness_datepart: Mapped[DatePart | None] = mapped_column(datepart_enum)
    mute_freshness_check: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    timeliness_number: Mapped[int | None] = mapped_column(Integer)
    timeliness_datepart: Mapped[DatePart | None] = mapped_column(datepart_enum)
    mute_timeliness_check: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )


class PipelineType(ThresholdSettings, Timestamps, Base):
    __tablename__ = "pipeline_type"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)


class Pipeline(ThresholdSettings, Timestamps, Base):
    __tablename__ = "pipeline"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)
    pipeline_type_id: Mapped[int] = mapped_column(BigId, ForeignKey("pipeline_type.id"), index=True)
    watermark: Mapped[str | None] = mapped_column(String(WATERMARK_LENGTH))
    next_watermark: Mapped[str | None] = mapped_column(String(WATERMARK_LENGTH))
    pipeline_metadata: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    last_target_insert: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_target_update: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_target_soft_delete: Mapped[datetime | None] = mapped_column(UTCDateTime)
    load_lineage: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # SHA-256 of the configuration last sent to POST /pipeline; a different digest means the
    # pipeline's code changed its configuration, so the non-null values it sent are applied.
    input_hash: Mapped[str | None] = mapped_column(String(64))
