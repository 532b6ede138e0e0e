"""Field types and the base model shared by every request schema."""

import math
from datetime import datetime
from typing import Annotated, Any, ClassVar

from fastapi import Query
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from watcher_server.db.types import as_utc
from watcher_server.models.base import DatePart
from watcher_server.models.pipelines import NAME_LENGTH, WATERMARK_LENGTH

MAX_BIGINT = 2**63 - 1

Id = Annotated[int, Field(ge=1, le=MAX_BIGINT)]
Count = Annotated[int, Field(ge=0, le=MAX_BIGINT)]
PositiveInt = Annotated[int, Field(gt=0, le=2**31 - 1)]
UTCDatetime = Annotated[datetime, AfterValidator(as_utc)]

# Names are matched case-insensitively, as in the original Watcher: trimmed and lower-cased.
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=NAME_LENGTH),
]


def _watermark_to_str(value: Any) -> Any:
    """Watermarks are opaque strings; numbers are accepted and stored as their text."""
    if isinstance(value, bool):
        raise ValueError("a watermark must be a string or a number, not a boolean")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("a watermark must be a finite number")
    if isinstance(value, int | float):
        return str(value)
    return value


Watermark = Annotated[
    str, BeforeValidator(_watermark_to_str), StringConstraints(max_length=WATERMARK_LENGTH)
]
Metadata = dict[str, Any]


def _check_storable(value: Any) -> None:
    """Reject what neither database can store: NUL characters and non-finite numbers."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("must not contain NUL (\\u0000) characters")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("must not contain NaN or Infinity")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_storable(key)
            _check_storable(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_storable(item)


class RequestModel(BaseModel):
    """Base of request bodies: unknown fields are ignored, stored values must be storable."""

    model_config = ConfigDict(extra="ignore")

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        _check_storable(value)
        return value


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def check_pairs(model: BaseModel, *prefixes: str, partial: bool = False) -> None:
    """`<prefix>_number` and `<prefix>_datepart` are given together or not at all.

    With `partial` (PATCH), an omitted field is not "given": both may be set, both cleared with
    null, or both left out.
    """
    for prefix in prefixes:
        number, datepart = f"{prefix}_number", f"{prefix}_datepart"
        if partial:
            sent = model.model_fields_set
            if (number in sent) != (datepart in sent):
                raise ValueError(f"{number} and {datepart} must be provided together")
        if (getattr(model, number) is None) != (getattr(model, datepart) is None):
            raise ValueError(f"{number} and {datepart} must be provided together")


class ThresholdFields(RequestModel):
    """Freshness and timeliness thresholds: a number of calendar units."""

    partial_update: ClassVar[bool] = False  # PATCH: an omitted field is left unchanged

    freshness_number: PositiveInt | None = None
    freshness_datepart: DatePart | None = None
    timeliness_number: PositiveInt | None = None
    timeliness_datepart: DatePart | None = None

    @model_validator(mode="after")
    def _pairs(self) -> "ThresholdFields":
        check_pairs(self, "freshness", "timeliness", partial=self.partial_update)
        return self


class Page:
    """`limit`/`offset` query parameters of every list endpoint."""

    def __init__(self, limit: int, offset: int) -> None:
        self.limit = limit
        self.offset = offset


async def page_params(
    limit: Annotated[int, Query(ge=1, le=10_000, description="Rows to return.")] = 1000,
    offset: Annotated[int, Query(ge=0, le=MAX_BIGINT, description="Rows to skip.")] = 0,
) -> Page:
    """The dependency that reads them (async: FastAPI would run a class in a worker thread)."""
    return Page(limit, offset)
