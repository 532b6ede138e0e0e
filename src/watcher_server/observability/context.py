"""What the request being served is about, for its log lines: its id, its pipeline and run,
and its trace when traces are exported.

The middleware puts one `RequestContext` in a context variable per request; services fill in
the pipeline and run they touch. It is a mutable object rather than separate variables so that
what the endpoint learns is still there when the middleware writes the access line.
"""

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class RequestContext:
    request_id: str
    pipeline_id: int | None = None
    execution_id: int | None = None
    trace_id: str | None = None  # 32 hex digits, as OpenTelemetry backends show it


CURRENT: ContextVar[RequestContext | None] = ContextVar("watcher_request", default=None)


def annotate(*, pipeline_id: int | None = None, execution_id: int | None = None) -> None:
    """Note the pipeline and run the current request concerns (nothing outside a request)."""
    context = CURRENT.get()
    if context is None:
        return
    if pipeline_id is not None:
        context.pipeline_id = pipeline_id
    if execution_id is not None:
        context.execution_id = execution_id
