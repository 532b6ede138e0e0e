"""The error body every route answers with, and the `responses=` entries that document it.

Statuses that follow from what a route does (404, 409, the 200 of a get-or-create) are declared
on the route with `errors()` and `ok()`; those that follow from its shape are added to every
operation of the OpenAPI document (common/openapi.py).
"""

from http import HTTPStatus
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from watcher_server.errors import RETRY_AFTER_SECONDS


class ValidationIssue(BaseModel):
    """One problem found in a request (FastAPI's shape)."""

    model_config = ConfigDict(extra="allow")

    type: str
    loc: list[str | int] = Field(description="Where: body, path, query or header, then names.")
    msg: str
    input: Any = None


class ErrorOut(BaseModel):
    """Every error: FastAPI's `detail`, plus `message` (readable) and `code` (stable)."""

    detail: str | list[ValidationIssue] = Field(
        description="The message, or for a request that failed validation, one entry per problem."
    )
    message: str
    code: str = Field(description="e.g. NOT_FOUND, CONFLICT, VALIDATION_ERROR.")


DESCRIPTIONS = {
    400: "The body is not JSON.",
    401: "No usable API key: missing, unknown, expired or revoked (access control on).",
    403: "The API key's scope is too small; the message names the scope needed.",
    404: "Something the request names does not exist.",
    409: "The request contradicts what is stored.",
    422: "The request is invalid: `detail` lists each problem, or says which rule it breaks.",
    429: "Too many failed authentications from this address; retry after `Retry-After` seconds.",
    500: "An unexpected error (logged by the server).",
    503: "The database cannot be reached; retry after `Retry-After` seconds.",
}
_RETRY_AFTER = {
    "Retry-After": {
        "description": f"Seconds to wait before retrying ({RETRY_AFTER_SECONDS}).",
        "required": True,
        "schema": {"type": "integer"},
    }
}


def _error_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {"model": ErrorOut, "description": DESCRIPTIONS[status]}
    if status == HTTPStatus.SERVICE_UNAVAILABLE:
        response["headers"] = _RETRY_AFTER
    return response


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for the error statuses a route answers with the ErrorOut body."""
    return {status: _error_response(status) for status in statuses}


def ok(model: type[BaseModel], description: str) -> dict[int | str, dict[str, Any]]:
    """`responses=` for the 200 of a route whose own status is 201 (get-or-create)."""
    return {200: {"model": model, "description": description}}
