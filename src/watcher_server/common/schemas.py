"""Field types and the base model shared by every request schema."""

import math
import re
from datetime import datetime
from typing import Annotated, Any, ClassVar, Union

from fastapi import Query
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    Strict,
    StringConstraints,
    TypeAdapter,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema
from typing_extensions import TypeAliasType

from watcher_server.db.types import as_utc
from watcher_server.models.base import DatePart
from watcher_server.models.pipelines import NAME_LENGTH, WATERMARK_LENGTH

MAX_BIGINT = 2**63 - 1

# Path and query values arrive as text: their ids are read from it.
Id = Annotated[int, Field(ge=1, le=MAX_BIGINT)]


def _integral(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _iso_text(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date-time string")  # not a Unix time
    return value


# Request bodies are strict where a client has no reason to send another type: a boolean is a
# JSON boolean (not 0 or "true"), an integer a JSON integer (not "5" or true; 5.0 is one, as in
# JSON Schema: hence AsInteger, placed after the constraints so that they are documented), a
# datetime the ISO string JSON carries it as.
UTCDatetime = Annotated[datetime, BeforeValidator(_iso_text), AfterValidator(as_utc)]
Flag = Annotated[bool, Strict()]
AsInteger = BeforeValidator(_integral)
BodyId = Annotated[int, Field(strict=True, ge=1, le=MAX_BIGINT), AsInteger]
Count = Annotated[int, Field(strict=True, ge=0, le=MAX_BIGINT), AsInteger]
PositiveInt = Annotated[int, Field(strict=True, gt=0, le=2**31 - 1), AsInteger]

# Except the ids etl-watcher-sdk forwards from its caller unchecked (the run to nest under, the
# run to end, the pipeline to patch): an Airflow template renders one as text, so "42" is 42.
_ID_TEXT = r"^[1-9][0-9]{0,17}$"


def _id_from_text(value: Any) -> Any:
    return int(value) if isinstance(value, str) and re.fullmatch(_ID_TEXT, value) else value


ClientId = Annotated[
    BodyId,
    BeforeValidator(_id_from_text),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 1, "maximum": MAX_BIGINT},
                {"type": "string", "pattern": _ID_TEXT, "description": "The id as text."},
            ]
        }
    ),
]

# PostgreSQL stores no U+0000 in text or JSON: `_check_storable` rejects it in every request
# body, and the JSON Schema of each string says so.
NUL_FREE = r"^[^\x00]*$"
# Names and address parts are trimmed of ASCII whitespace (the pattern means the same in every
# regex dialect a client may check it with) and must keep a character.
_BLANKS = " \t\n\r\f\v"
_NOT_BLANK = r"^[^\x00]*[^\x00 \t\n\r\f\v][^\x00]*$"


def _trimmed(value: str) -> str:
    if not (text := value.strip(_BLANKS)):
        raise ValueError("must have a character other than spaces")
    return text


def _lowered(value: str) -> str:
    name = value.lower()
    if len(name) > NAME_LENGTH:  # lower-casing can lengthen a name: "İ" becomes two characters
        raise ValueError(f"must have at most {NAME_LENGTH} characters once lower-cased")
    return name


TrimmedText = Annotated[
    str,
    Field(max_length=NAME_LENGTH, json_schema_extra={"pattern": _NOT_BLANK}),
    AfterValidator(_trimmed),
]
# Names are matched case-insensitively, as in the original Watcher: trimmed and lower-cased.
Name = Annotated[TrimmedText, AfterValidator(_lowered)]


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
    str,
    BeforeValidator(_watermark_to_str),
    StringConstraints(max_length=WATERMARK_LENGTH),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "maxLength": WATERMARK_LENGTH, "pattern": NUL_FREE},
                {"type": "number", "description": "Stored as its text."},
            ]
        }
    ),
]

# Metadata is any JSON object: validated as one (and by `_check_storable`), documented as one
# whose strings, keys included, hold no U+0000 at any depth.
_NulFreeText = Annotated[str, Field(pattern=NUL_FREE)]
_JsonObject = Annotated[
    dict[_NulFreeText, "JsonValue"], Field(json_schema_extra={"additionalProperties": False})
]
JsonValue = TypeAliasType(
    "JsonValue",
    # A string forward reference cannot take part in `|`.
    Union[bool, float, _NulFreeText, list["JsonValue"], _JsonObject, None],  # noqa: UP007
)


class _DocumentedAs:
    """Gives a field the JSON Schema of another type, one its validation need not use."""

    def __init__(self, kind: Any) -> None:
        self.kind = kind

    def __get_pydantic_json_schema__(
        self, _: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return handler(TypeAdapter(self.kind).core_schema)


Metadata = Annotated[dict[str, Any], _DocumentedAs(_JsonObject)]


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


def _state_rules(schema: dict[str, Any], model: type["RequestModel"]) -> None:
    if rules := model.rules():
        schema["allOf"] = rules


class RequestModel(BaseModel):
    """Base of request bodies: unknown fields are ignored, stored values must be storable.

    `rules()` says in JSON Schema what the model's validators check across fields, so that the
    OpenAPI document states it too.
    """

    model_config = ConfigDict(extra="ignore", json_schema_extra=_state_rules)

    @classmethod
    def rules(cls) -> list[dict[str, Any]]:
        return []

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        _check_storable(value)
        return value


_NULL: dict[str, Any] = {"type": "null"}
_SET: dict[str, Any] = {"not": _NULL}


def at_least_one(*names: str) -> dict[str, Any]:
    """JSON Schema: at least one of the fields is given, not null."""
    return {"anyOf": [{"required": [name], "properties": {name: _SET}} for name in names]}


def not_both(first: str, second: str) -> dict[str, Any]:
    """JSON Schema: the two fields are not both given, not null."""
    return {"not": {"required": [first, second], "properties": {first: _SET, second: _SET}}}


def together(first: str, second: str, *, partial: bool) -> dict[str, Any]:
    """JSON Schema of `check_pairs` for one pair."""
    both_null = {"properties": {first: _NULL, second: _NULL}}
    both_set = {"required": [first, second], "properties": {first: _SET, second: _SET}}
    if not partial:
        return {"anyOf": [both_null, both_set]}
    neither_sent = {"properties": {first: False, second: False}}
    return {"anyOf": [neither_sent, {**both_null, "required": [first, second]}, both_set]}


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

    @classmethod
    def rules(cls) -> list[dict[str, Any]]:
        return [
            together(f"{prefix}_number", f"{prefix}_datepart", partial=cls.partial_update)
            for prefix in ("freshness", "timeliness")
        ]


class Page:
    """`limit`/`offset` query parameters of every list endpoint."""

    def __init__(self, limit: int, offset: int) -> None:
        self.limit = limit
        self.offset = offset


MAX_LIMIT = 10_000


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Rows to return.")] = 1000,
    offset: Annotated[int, Query(ge=0, le=MAX_BIGINT, description="Rows to skip.")] = 0,
) -> Page:
    """The dependency that reads them (async: FastAPI would run a class in a worker thread)."""
    return Page(limit, offset)
