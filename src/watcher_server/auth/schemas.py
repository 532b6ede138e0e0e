"""Request and response bodies of /api_key."""

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, PlainValidator, WithJsonSchema, model_validator

from watcher_server.auth.durations import (
    MAX_LIFETIME_SECONDS,
    SHORT_DURATION,
    short_duration_seconds,
)
from watcher_server.auth.scopes import Scope
from watcher_server.common.schemas import (
    RequestModel,
    ResponseModel,
    TrimmedText,
    UTCDatetime,
    not_both,
)


def _lifetime(value: Any) -> int:
    """Seconds, from a JSON integer or a short duration such as `90d` (the service checks the
    range, so that a lifetime of any size is refused with the same sentence)."""
    if isinstance(value, float) and value.is_integer():  # 5.0 is an integer in JSON Schema
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(SHORT_DURATION, value):
        return short_duration_seconds(value)
    raise ValueError("must be a number of seconds or a duration like 90d, 12h, 30m or 45s")


Lifetime = Annotated[
    int,
    PlainValidator(_lifetime),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 1, "maximum": MAX_LIFETIME_SECONDS},
                {"type": "string", "pattern": SHORT_DURATION, "examples": ["90d", "12h"]},
            ]
        }
    ),
]


class ApiKeyCreate(RequestModel):
    """A new key; without `expires_at` or `expires_in` it never expires."""

    name: TrimmedText
    scope: Scope
    expires_at: UTCDatetime | None = None
    expires_in: Lifetime | None = Field(
        default=None, description="Seconds, or a short duration: `90d`, `12h`, `30m`, `45s`."
    )

    @model_validator(mode="after")
    def _one_expiry(self) -> "ApiKeyCreate":
        if self.expires_at is not None and self.expires_in is not None:
            raise ValueError("give expires_at or expires_in, not both")
        return self

    @classmethod
    def rules(cls) -> list[dict[str, Any]]:
        return [*super().rules(), not_both("expires_at", "expires_in")]


class ApiKeyOut(ResponseModel):
    """A key as anyone may see it: never its token."""

    id: int
    name: str
    scope: Scope
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    token: str = Field(description="The secret: shown this once, never stored.")
