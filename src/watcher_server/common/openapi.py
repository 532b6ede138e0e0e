"""What FastAPI's OpenAPI document needs to be the API's contract.

`complete()` runs on the generated document (see create_app).
"""

from typing import Any

from watcher_server.common.responses import DESCRIPTIONS
from watcher_server.common.schemas import MAX_BIGINT

ERROR_SCHEMA_REF = "#/components/schemas/ErrorOut"
_BOUNDS = frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"})


def complete(document: dict[str, Any]) -> dict[str, Any]:
    """The document with every operation's shape errors and exact 64-bit bounds. Idempotent."""
    _add_shape_errors(document)
    _restore_bigint_bounds(document)
    return document


def _add_shape_errors(document: dict[str, Any]) -> None:
    """Give every operation the errors its shape allows, in the ErrorOut shape.

    FastAPI already marks the operations that validate input (its 422, which it documents with
    a schema our handler does not answer); an operation with a body also answers 400 for one
    that is not JSON; any may fail unexpectedly (500).
    """
    for path in document.get("paths", {}).values():
        for operation in path.values():
            _document_operation(operation)
    schemas = document.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)


def _document_operation(operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    statuses = [500]
    if "422" in responses:
        statuses.append(422)
    if "requestBody" in operation:
        statuses.append(400)
    for status in statuses:
        responses[str(status)] = {
            "description": DESCRIPTIONS[status],
            "content": {"application/json": {"schema": {"$ref": ERROR_SCHEMA_REF}}},
        }
    operation["responses"] = dict(sorted(responses.items()))


def _restore_bigint_bounds(node: Any) -> None:
    """FastAPI's OpenAPI model types bounds as floats, which turns 2**63 - 1 into 2**63 (the
    nearest float): put back the exact bound, so that clients reject what the server rejects."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _BOUNDS and isinstance(value, float) and value == float(MAX_BIGINT):
                node[key] = MAX_BIGINT
            else:
                _restore_bigint_bounds(value)
    elif isinstance(node, list):
        for item in node:
            _restore_bigint_bounds(item)
