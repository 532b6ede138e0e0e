"""Log lines: JSON fields, the request id taken or made and echoed, one traceback per error."""

import io
import logging

import httpx
import pytest
from fastapi import APIRouter

from tests.conftest import app_client
from tests.factories import create_pipeline
from tests.observability.conftest import LogLines
from watcher_server.observability.context import CURRENT, RequestContext
from watcher_server.observability.logs import configure_logging
from watcher_server.settings import Settings


@pytest.fixture
def access_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"watcher_access_log": True})


async def test_an_access_line_carries_the_request_its_route_and_its_run(
    access_settings: Settings, log_lines: LogLines, unique: str
) -> None:
    async with app_client(access_settings) as http:
        pipeline_id = await create_pipeline(http, f"logs-{unique}")
        response = await http.post(
            "/start_pipeline_execution",
            json={"pipeline_id": pipeline_id},
            headers={"X-Request-ID": f"job-{unique}"},
        )
    assert response.status_code == 201
    assert response.headers["X-Request-ID"] == f"job-{unique}"
    line = log_lines.access_line(f"job-{unique}")
    assert line["level"] == "INFO"
    assert line["timestamp"].endswith("+00:00")
    assert line["method"] == "POST"
    assert line["route"] == "/start_pipeline_execution"
    assert line["status"] == 201
    assert 0 < line["duration_ms"] < 10_000
    assert line["pipeline_id"] == pipeline_id
    assert line["execution_id"] == response.json()["id"]
    assert line["message"].startswith("POST /start_pipeline_execution 201 ")


@pytest.mark.parametrize("sent", ["", "has space", "x" * 129, "é"])
async def test_an_unusable_request_id_is_replaced_by_a_new_one(
    client: httpx.AsyncClient, sent: str
) -> None:
    response = await client.get("/health", headers={"X-Request-ID": sent.encode()})
    made = response.headers["X-Request-ID"]
    assert made != sent
    assert len(made) == 32
    other = await client.get("/health")
    assert other.headers["X-Request-ID"] not in (made, "")


async def test_access_lines_are_off_by_default(
    client: httpx.AsyncClient, log_lines: LogLines, unique: str
) -> None:
    await client.get("/health", headers={"X-Request-ID": unique})
    assert log_lines.of("watcher.access") == []


async def test_an_unexpected_error_is_logged_once_with_its_traceback_and_request_id(
    settings: Settings, log_lines: LogLines, unique: str
) -> None:
    broken = APIRouter()

    @broken.get("/broken")
    async def fail() -> None:
        raise RuntimeError(f"bug {unique}")

    async with app_client(settings) as http:
        http._transport.app.include_router(broken)  # type: ignore[attr-defined]
        response = await http.get("/broken", headers={"X-Request-ID": f"err-{unique}"})
    assert response.status_code == 500
    assert response.json()["code"] == "INTERNAL_ERROR"
    assert unique not in response.text
    assert response.headers["X-Request-ID"] == f"err-{unique}"
    tracebacks = [line for line in log_lines.all() if f"bug {unique}" in line.get("exc_info", "")]
    assert len(tracebacks) == 1
    assert tracebacks[0]["request_id"] == f"err-{unique}"
    assert tracebacks[0]["level"] == "ERROR"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_readable_lines_with_the_request_fields() -> None:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    terminal = _Terminal()
    try:
        configure_logging("INFO", None, terminal)
        token = CURRENT.set(RequestContext("req-1", pipeline_id=7))
        logging.getLogger("watcher.test").warning("late by %s", "5 min")
        CURRENT.reset(token)
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    line = terminal.getvalue().strip()
    assert line.endswith(" WARNING watcher.test: late by 5 min request_id=req-1 pipeline_id=7")
