"""Two configurations of the app in one process, alternated lifecycle by lifecycle: the
precise measure of what a feature on the request path costs.

Served comparisons cannot resolve a few per cent on this machine (bench/calibration.py: the
same server compared with itself reads anywhere from 0.93x to 1.06x). Here both apps share
the process, the database and the moment, each lifecycle's order alternates, and the figure
is the CPU time this process spent on it (asyncpg waits excluded), the requests being called
as ASGI directly so that no HTTP client's work is counted.
"""

import contextlib
import json
import statistics
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

from fastapi import FastAPI

from bench.harness.report import Record

Headers = list[tuple[bytes, bytes]]


@contextlib.asynccontextmanager
async def running(*apps: FastAPI) -> AsyncIterator[None]:
    """The apps started (their lifespans entered) for the block."""
    async with contextlib.AsyncExitStack() as stack:
        for app in apps:
            await stack.enter_async_context(app.router.lifespan_context(app))
        yield


async def post(app: FastAPI, path: str, body: object, headers: Headers = ()) -> Any:
    """POST `body` as JSON straight into `app`; its JSON answer, None when it has no body (any
    status above 299 raises)."""
    payload = json.dumps(body).encode()
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": payload, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"bench"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode()),
            *headers,
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    await app(scope, receive, send)
    status = sent[0]["status"]
    answer = b"".join(message.get("body", b"") for message in sent[1:])
    if status > 299:
        raise RuntimeError(f"POST {path} answered {status}: {answer[:300]!r}")
    return json.loads(answer) if answer else None


async def alternate(
    sides: Mapping[str, tuple[FastAPI, Headers]], pipeline_id: int, lifecycles: int
) -> dict[str, float]:
    """Median CPU microseconds of a start→end lifecycle of `pipeline_id` through each side's
    app (with its headers), after a warm-up, the sides taking turns to go first."""
    spent: dict[str, list[float]] = {label: [] for label in sides}
    warmup = max(lifecycles // 10, 20)
    for number in range(warmup + lifecycles):
        labels = list(sides) if number % 2 else list(reversed(sides))
        for label in labels:
            app, headers = sides[label]
            began = time.process_time()
            run = await post(
                app, "/start_pipeline_execution", {"pipeline_id": pipeline_id}, headers
            )
            end = {"id": run["id"], "completed_successfully": True}
            await post(app, "/end_pipeline_execution", end, headers)
            if number >= warmup:
                spent[label].append(time.process_time() - began)
    return {label: statistics.median(times) * 1e6 for label, times in spent.items()}


def record_ratio(
    name: str, medians: dict[str, float], minimum: float, maximum: float = float("inf")
) -> Record:
    """`alternate`'s medians (reference first, measured second) as a report record: the CPU
    of each, their ratio reference / measured, and whether it lies in [minimum, maximum]."""
    reference, measured = medians.values()
    ratio = reference / measured
    within = f"≥ {minimum:.2f}x" if maximum == float("inf") else f"{minimum:.2f}x to {maximum:.2f}x"
    return Record(
        name=name,
        figures={
            **{f"{side} µs CPU": round(us) for side, us in medians.items()},
            "ratio": f"{ratio:.3f}x",
        },
        target=f"{within} (median CPU per lifecycle, alternated)",
        outcome="pass" if minimum <= ratio <= maximum else "miss",
    )
