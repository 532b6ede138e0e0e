"""One pure ASGI middleware per app: request id, access log line, HTTP metrics, last-resort 500.

Pure ASGI (not BaseHTTPMiddleware) because it wraps every request: it adds one header, times
the request and, after the response, reads the route template the router matched.
"""

import logging
import re
import uuid
from collections.abc import Iterable
from time import perf_counter
from typing import Any

from opentelemetry import trace
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from watcher_server.errors import internal_error
from watcher_server.observability import metrics
from watcher_server.observability.context import CURRENT, RequestContext

access_logger = logging.getLogger("watcher.access")

REQUEST_ID_HEADER = b"x-request-id"
# An incoming id is kept when it is short printable ASCII; anything else is replaced.
_VALID_REQUEST_ID = re.compile(rb"[!-~]{1,128}")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED_ROUTE = "unmatched"


class RequestObserver:
    """Gives each request an id (echoed in X-Request-ID) and records how it went."""

    def __init__(
        self, app: ASGIApp, *, record_metrics: bool, access_log: bool, traced: bool = False
    ) -> None:
        self.app = app
        self.record_metrics = record_metrics
        self.access_log = access_log
        self.traced = traced
        # The labelled series already used (a bounded set): labels() costs a look-up each time.
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        context = RequestContext(_request_id(scope))
        token = CURRENT.set(context)
        id_header = (REQUEST_ID_HEADER, context.request_id.encode())
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), id_header]
                if self.traced:  # sent from inside the request's span, which ends before
                    context.trace_id = _trace_id()
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            # Logged here, once, with the request id; not raised on to uvicorn, which would
            # log the same traceback again without it.
            response = internal_error(exc)
            if status == 0:
                await response(scope, receive, send_with_id)
        finally:
            self._record(scope, context, status or 500, perf_counter() - started)
            CURRENT.reset(token)

    def _record(self, scope: Scope, context: RequestContext, status: int, seconds: float) -> None:
        method = scope["method"] if scope["method"] in _METHODS else "other"
        route = _route_template(scope, status)
        if self.record_metrics:
            key = (method, route, status)
            series = self._series.get(key)
            if series is None:
                series = self._series[key] = (
                    metrics.HTTP_REQUESTS.labels(method, route, str(status)),
                    metrics.HTTP_DURATION.labels(method, route),
                )
            series[0].inc()
            series[1].observe(seconds)
        if self.access_log:
            duration_ms = round(seconds * 1000, 2)
            fields = {"method": method, "route": route, "status": status}
            access_logger.info(
                "%s %s %s %.2f ms",
                method,
                route,
                status,
                duration_ms,
                extra={**fields, "duration_ms": duration_ms},
            )


def _trace_id() -> str | None:
    span = trace.get_current_span().get_span_context()
    return format(span.trace_id, "032x") if span.is_valid else None


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER and _VALID_REQUEST_ID.fullmatch(value):
            return value.decode()
    return uuid.uuid4().hex


def _route_template(scope: Scope, status: int) -> str:
    """The matched route's path template (`/pipeline/{pipeline_id}`), never the raw path.

    A request answered before routing (refused by access control) is matched here, so that
    its 401, 403 or 429 counts under its route; a 404 without a route matched none."""
    route = scope.get("route")
    if route is None and status != 404 and "app" in scope:
        route = _matching_route(scope["app"].router.routes, scope)
    return getattr(route, "path_format", None) or UNMATCHED_ROUTE


def _matching_route(routes: Iterable[BaseRoute], scope: Scope) -> BaseRoute | None:
    """The route that serves `scope`, looked for inside included routers too (FastAPI keeps
    them as entries of their own; Watcher includes its routers without a path prefix)."""
    for route in routes:
        if route.matches(scope)[0] is Match.FULL:
            included = getattr(route, "original_router", None)
            return route if included is None else _matching_route(included.routes, scope)
    return None
