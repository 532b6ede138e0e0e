"""Traces: OTLP/HTTP export of each request's span and its database statements' spans.

With OPEN_TELEMETRY_FLAG=true the app gets a tracer provider of its own (the OpenTelemetry
SDK, batching to OPEN_TELEMETRY_TRACE_ENDPOINT with OPEN_TELEMETRY_AUTHORIZATION_TOKEN as the
Authorization header). FastAPI's native telemetry makes the request spans with it and the
SQLAlchemy instrumentation the statement spans. Off, FastAPI's hooks are switched off too:
they would look up the global providers on every request for nothing.
"""

from urllib.parse import urlsplit

from fastapi.telemetry import TelemetryConfig
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, SERVICE_VERSION, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from sqlalchemy.ext.asyncio import AsyncEngine

from watcher_server import __version__
from watcher_server.settings import Settings

TRACES_PATH = "/v1/traces"
TELEMETRY_OFF: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def tracer_provider(settings: Settings) -> TracerProvider | None:
    """The provider that exports this app's spans, or None when tracing is off."""
    if not settings.open_telemetry_flag:
        return None
    token = settings.open_telemetry_authorization_token
    exporter = OTLPSpanExporter(
        # Unset: the SDK's own OTEL_EXPORTER_OTLP_* variables (default localhost:4318).
        endpoint=_traces_url(settings.open_telemetry_trace_endpoint),
        headers={"Authorization": token} if token else None,
    )
    resource = Resource.create({SERVICE_NAME: "watcher", SERVICE_VERSION: __version__})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def fastapi_telemetry(provider: TracerProvider | None) -> TelemetryConfig:
    """FastAPI's native telemetry: request spans through `provider`, nothing else."""
    if provider is None:
        return TELEMETRY_OFF
    # Its metrics and logs are Watcher's own (Prometheus, log lines); per-dependency
    # "operation" spans would outnumber the statements that matter.
    return {"tracer_provider": provider, "metrics": False, "logs": False, "operation_spans": False}


def trace_statements(engine: AsyncEngine, provider: TracerProvider) -> None:
    """A child span for every statement `engine` runs."""
    # The instrumentation declares SQLAlchemy < 2.1 only because it was released before 2.1;
    # the engine events it listens to are unchanged, and the test of traces covers them.
    SQLAlchemyInstrumentor().instrument(
        engine=engine.sync_engine, tracer_provider=provider, skip_dep_check=True
    )


def stop_tracing(provider: TracerProvider) -> None:
    """Send the spans still buffered and undo the instrumentation."""
    SQLAlchemyInstrumentor().uninstrument()
    provider.shutdown()


def _traces_url(endpoint: str | None) -> str | None:
    """A collector's base address (http://collector:4318) gets the OTLP traces path added."""
    if not endpoint:
        return None
    if urlsplit(endpoint).path in ("", "/"):
        return endpoint.rstrip("/") + TRACES_PATH
    return endpoint
