"""Traces exported over OTLP/HTTP to a real receiver, decoded with the protocol's messages."""

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from tests.conftest import app_client
from tests.factories import create_pipeline
from tests.observability.conftest import LogLines
from watcher_server.settings import Settings

TOKEN = "Bearer trace-token"


class OtlpReceiver:
    """An OTLP/HTTP endpoint in a thread: keeps every span and the headers of every export."""

    def __init__(self) -> None:
        self.spans: list[Span] = []
        self.authorizations: list[str | None] = []
        self.paths: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                export = ExportTraceServiceRequest()
                export.ParseFromString(self.rfile.read(int(self.headers["Content-Length"])))
                receiver.paths.append(self.path)
                receiver.authorizations.append(self.headers.get("Authorization"))
                for resource_spans in export.resource_spans:
                    for scope_spans in resource_spans.scope_spans:
                        receiver.spans.extend(scope_spans.spans)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "OtlpReceiver":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _traced(settings: Settings, otlp: OtlpReceiver, **more: object) -> Settings:
    """`settings` with traces exported to `otlp`, and `more`."""
    update = {"open_telemetry_flag": True, "open_telemetry_trace_endpoint": otlp.url, **more}
    return settings.model_copy(update=update)


@pytest.fixture
def otlp() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as receiver:
        yield receiver


async def test_a_start_call_is_a_request_span_with_its_statements_as_children(
    settings: Settings, otlp: OtlpReceiver, unique: str
) -> None:
    traced = _traced(settings, otlp, open_telemetry_authorization_token=TOKEN)
    async with app_client(traced) as http:
        pipeline_id = await create_pipeline(http, f"traced-{unique}")
        response = await http.post("/start_pipeline_execution", json={"pipeline_id": pipeline_id})
        assert response.status_code == 201
    # Leaving the app flushed its spans to the receiver.

    [request] = [span for span in otlp.spans if span.name == "POST /start_pipeline_execution"]
    assert request.kind == Span.SPAN_KIND_SERVER
    children = [
        span
        for span in otlp.spans
        if span.trace_id == request.trace_id and span.parent_span_id == request.span_id
    ]
    statements = [text for span in children if (text := _attribute(span, "db.statement"))]
    assert any(text.startswith("INSERT INTO pipeline_execution") for text in statements), statements
    assert set(otlp.authorizations) == {TOKEN}
    assert set(otlp.paths) == {"/v1/traces"}


async def test_no_span_is_exported_when_tracing_is_off(
    settings: Settings, otlp: OtlpReceiver, unique: str
) -> None:
    untraced = settings.model_copy(update={"open_telemetry_trace_endpoint": otlp.url})
    async with app_client(untraced) as http:
        await create_pipeline(http, f"untraced-{unique}")
    assert otlp.spans == []


def _attribute(span: Span, key: str) -> str | None:
    return next((a.value.string_value for a in span.attributes if a.key == key), None)


async def test_a_requests_log_lines_carry_its_trace_id(
    settings: Settings, otlp: OtlpReceiver, log_lines: LogLines, unique: str
) -> None:
    async with app_client(_traced(settings, otlp, watcher_access_log=True)) as http:
        pipeline_id = await create_pipeline(http, f"traced-logs-{unique}")
        response = await http.post(
            "/start_pipeline_execution",
            json={"pipeline_id": pipeline_id},
            headers={"X-Request-ID": f"traced-{unique}"},
        )
        assert response.status_code == 201

    [request] = [span for span in otlp.spans if span.name == "POST /start_pipeline_execution"]
    line = log_lines.access_line(f"traced-{unique}")
    assert line["trace_id"] == request.trace_id.hex()
    assert line["execution_id"] == response.json()["id"]
