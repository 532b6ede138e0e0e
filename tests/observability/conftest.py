"""Fixtures of the observability tests: log lines captured as written, metrics scraped."""

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from watcher_server.observability.logs import configure_logging


class LogLines:
    """What Watcher's log configuration wrote, one parsed JSON object per line."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    def all(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]

    def of(self, logger: str) -> list[dict[str, Any]]:
        return [line for line in self.all() if line["logger"] == logger]

    def access_line(self, request_id: str) -> dict[str, Any]:
        """The one access line of the request with this id."""
        [line] = [line for line in self.of("watcher.access") if line["request_id"] == request_id]
        return line


@pytest.fixture
def log_lines() -> Iterator[LogLines]:
    """Logging configured as `watcher serve` does (JSON: not a terminal), put back afterwards."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    lines = LogLines()
    configure_logging("INFO", None, lines.stream)
    try:
        yield lines
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """GET /metrics parsed by prometheus_client: {(sample name, sorted labels): value}."""
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)
