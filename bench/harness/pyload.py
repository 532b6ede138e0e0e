"""The fallback load generator: the built-in workloads of `workload.lua`, in asyncio.

Used when wrk is not installed (a CI machine without it). It speaks just enough HTTP/1.1 for
the two apps under test (keep-alive, Content-Length bodies) and costs more CPU than wrk, so
its figures only show that the harness works.
"""

import asyncio
import collections
import json
import random
import re
import time
from typing import Any
from urllib.parse import urlsplit

from bench.harness.load import Measurement, Workload
from bench.harness.stats import percentile

_ID = re.compile(rb'"id"\s*:\s*(\d+)')


class _Requests:
    """Builds the next request the way workload.lua does, and reads what came back."""

    def __init__(self, workload: Workload, host: str) -> None:
        self.kind = workload.kind
        self.options = workload.options
        self.host = host
        self.pending: collections.deque[int] = collections.deque()
        self.next_id = int(self.options.get("first", "1"))
        self.ends = self.wrapped = self.non2xx = self.bad_status = 0

    def next(self) -> bytes:
        options = self.options
        if self.kind == "get":
            return self._format("GET", options["path"], b"")
        if self.kind == "start":
            return self._start()
        if self.kind == "end":
            return self._end(self._next_end_id())
        if self.kind == "lifecycle":
            return self._end(self.pending.popleft()) if self.pending else self._start()
        if self.kind == "pipeline":
            name = f"{options['prefix']}{self._random()}"
            body = {"name": name, "pipeline_type_name": options["type"]}
            return self._format("POST", options["path"], json.dumps(body).encode())
        raise ValueError(f"unknown workload kind {self.kind!r}")

    def record(self, status: int, body: bytes) -> None:
        if not 200 <= status <= 299:
            self.non2xx += 1
            self.bad_status = status
            return
        if self.kind == "lifecycle" and status == 201:
            match = _ID.search(body)
            if match:
                self.pending.append(int(match.group(1)))
        elif self.kind in ("lifecycle", "end"):
            self.ends += 1

    def _random(self) -> int:
        return random.randint(int(self.options["lo"]), int(self.options["hi"]))

    def _start(self) -> bytes:
        body = json.dumps({"pipeline_id": self._random()}).encode()
        return self._format("POST", self.options["start_path"], body)

    def _end(self, execution_id: int) -> bytes:
        inserts = random.randint(0, 1000)
        body = {
            "id": execution_id,
            "completed_successfully": True,
            "inserts": inserts,
            "updates": inserts % 7,
            "soft_deletes": 0,
            "total_rows": inserts + inserts % 7,
        }
        return self._format("POST", self.options["end_path"], json.dumps(body).encode())

    def _next_end_id(self) -> int:
        execution_id = self.next_id
        self.next_id += 1
        if self.next_id > int(self.options["last"]):
            self.next_id = int(self.options["first"])
            self.wrapped += 1
        return execution_id

    def _format(self, method: str, path: str, body: bytes) -> bytes:
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Length: {len(body)}\r\n"
        if body:
            head += "Content-Type: application/json\r\n"
        if "authorization" in self.options:
            head += f"Authorization: {self.options['authorization']}\r\n"
        return head.encode() + b"\r\n" + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    body = await reader.readexactly(length) if length else b""
    return status, body


async def _connection(
    host: str, port: int, requests: _Requests, deadline: float, latencies: list[float]
) -> int:
    """Send requests on one keep-alive connection until the deadline; the socket errors seen."""
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        return 1
    try:
        while time.perf_counter() < deadline:
            sent = time.perf_counter()
            writer.write(requests.next())
            status, body = await _read_response(reader)
            latencies.append((time.perf_counter() - sent) * 1000)
            requests.record(status, body)
    except (OSError, asyncio.IncompleteReadError):
        return 1
    finally:
        writer.close()
    return 0


async def _run(base_url: str, workload: Workload, connections: int, seconds: float) -> Any:
    address = urlsplit(base_url)
    host, port = address.hostname or "127.0.0.1", address.port or 80
    requests = _Requests(workload, f"{host}:{port}")
    latencies: list[float] = []
    began = time.perf_counter()
    deadline = began + seconds
    errors = await asyncio.gather(
        *(_connection(host, port, requests, deadline, latencies) for _ in range(connections))
    )
    return requests, latencies, time.perf_counter() - began, sum(errors)


def run(base_url: str, workload: Workload, *, connections: int, seconds: float) -> Measurement:
    requests, latencies, elapsed, errors = asyncio.run(
        _run(base_url, workload, connections, seconds)
    )
    count = len(latencies)
    latencies = latencies or [0.0]
    return Measurement(
        requests=count,
        seconds=elapsed,
        non2xx=requests.non2xx,
        socket_errors=errors,
        timeouts=0,
        p50_ms=percentile(latencies, 0.50),
        p90_ms=percentile(latencies, 0.90),
        p95_ms=percentile(latencies, 0.95),
        p99_ms=percentile(latencies, 0.99),
        max_ms=max(latencies),
        lifecycles=requests.ends if workload.counts_lifecycles else None,
        wrapped=requests.wrapped,
        bad_status=requests.bad_status,
        loadgen="python",
    )
