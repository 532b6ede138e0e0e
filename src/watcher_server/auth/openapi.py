"""The OpenAPI document of a server that requires keys: its security schemes, and for each
operation the scope it needs and the refusals (401, 403, 429) it may answer."""

from typing import Any

from watcher_server.auth.scopes import required_scope
from watcher_server.common.openapi import ERROR_SCHEMA_REF
from watcher_server.common.responses import DESCRIPTIONS

SCHEMES = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key's token (wat_...): `Authorization: Bearer <token>`.",
    },
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
}
_ANY_KEY = [{"bearer": []}, {"apiKey": []}]
_HEADERS = {
    401: {"WWW-Authenticate": {"description": "`Bearer`.", "schema": {"type": "string"}}},
    429: {
        "Retry-After": {
            "description": "Seconds until this address may try again.",
            "required": True,
            "schema": {"type": "integer"},
        }
    },
}


def document_security(document: dict[str, Any]) -> dict[str, Any]:
    """Add the schemes and each operation's security. Idempotent."""
    document.setdefault("components", {})["securitySchemes"] = SCHEMES
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            _secure(operation, required_scope(method.upper(), path))
    return document


def _secure(operation: dict[str, Any], needed: object) -> None:
    if needed is None:
        operation["security"] = []
        return
    operation["security"] = _ANY_KEY
    note = f"Needs a key with the `{needed}` scope."
    description = operation.get("description", "")
    if note not in description:
        operation["description"] = f"{description}\n\n{note}".strip()
    responses = operation.setdefault("responses", {})
    for status in (401, 403, 429):
        response: dict[str, Any] = {
            "description": DESCRIPTIONS[status],
            "content": {"application/json": {"schema": {"$ref": ERROR_SCHEMA_REF}}},
        }
        if status in _HEADERS:
            response["headers"] = _HEADERS[status]
        responses[str(status)] = response
    operation["responses"] = dict(sorted(responses.items()))
