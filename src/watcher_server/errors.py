"""The WatcherError family and the handlers that render every error as the same JSON shape.

Every error body carries FastAPI's `detail` plus `message` and `code`, which the published
etl-watcher-sdk reads to tell its users what went wrong.
"""

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from watcher_server.common.allow import allowed_methods
from watcher_server.db.availability import is_database_unavailable

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 2


class WatcherError(Exception):
    """Base of every error a caller can cause or should be told about."""

    status_code = 400
    code = "BAD_REQUEST"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(WatcherError):
    status_code = 404
    code = "NOT_FOUND"


class Conflict(WatcherError):
    status_code = 409
    code = "CONFLICT"


class InvalidInput(WatcherError):
    """Input that passed schema validation but breaks a rule (end before start, wrong owner)."""

    status_code = 422
    code = "VALIDATION_ERROR"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field


def error_body(message: str, code: str, detail: Any = None) -> dict[str, Any]:
    return {"detail": message if detail is None else detail, "message": message, "code": code}


async def _watcher_error(_: Request, exc: WatcherError) -> JSONResponse:
    return JSONResponse(error_body(exc.message, exc.code), status_code=exc.status_code)


async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
    errors = _json_safe(
        jsonable_encoder(exc.errors(), custom_encoder={bytes: lambda b: b.decode(errors="replace")})
    )
    message = "; ".join(_describe(error) for error in errors) or "invalid request"
    return JSONResponse(error_body(message, "VALIDATION_ERROR", errors), status_code=422)


def _json_safe(value: Any) -> Any:
    """Echoed input may hold NaN or Infinity, which JSON cannot carry: send them as text."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_safe(item) for item in value]
    return value


def _describe(error: dict[str, Any]) -> str:
    location = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
    text = str(error.get("msg", "")).removeprefix("Value error, ")
    return f"{location}: {text}" if location else text


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(exc.status_code, "HTTP_ERROR")
    headers = exc.headers
    if exc.status_code == 405:
        headers = {**(headers or {}), "Allow": allowed_methods(request)}
    return JSONResponse(
        error_body(str(exc.detail), code), status_code=exc.status_code, headers=headers
    )


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    if not is_database_unavailable(exc):
        return internal_error(exc)
    logger.warning("database unavailable: %s", exc)
    return JSONResponse(
        error_body("database unavailable, retry shortly", "DATABASE_UNAVAILABLE"),
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def internal_error(exc: BaseException) -> JSONResponse:
    """Log a bug's traceback and answer 500 without revealing it."""
    logger.error("unhandled error", exc_info=exc)
    return JSONResponse(error_body("internal server error", "INTERNAL_ERROR"), status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(WatcherError, _watcher_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    # Registered per class so that they are answered like any handled error; any other
    # exception is answered (and logged once, with its request id) by the request middleware.
    for database_error in (DBAPIError, PoolTimeoutError, OSError):
        app.add_exception_handler(database_error, _database_error)
