"""Load generation: what to send (a Workload) and how hard (connections, seconds).

wrk is the load generator: one thread, keep-alive, a Lua script (`workload.lua`) that builds
each request, so the 2 cores stay with the server and the database. When wrk is missing, a
small asyncio generator (`pyload.py`) sends the same requests; it costs more CPU, so its
figures are only good for checking that the harness works.
"""

import json
import shutil
import subprocess
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

LUA_SCRIPT = Path(__file__).with_name("workload.lua")
RESULT_PREFIX = "BENCH_RESULT "


@dataclass(frozen=True)
class Workload:
    """What each request is. `kind` is one of the kinds `workload.lua` documents."""

    kind: str
    options: dict[str, str] = field(default_factory=dict)
    # A scenario's own wrk script (same key=value arguments, same BENCH_RESULT line); wrk only.
    script: Path | None = None

    @property
    def counts_lifecycles(self) -> bool:
        return self.kind == "lifecycle"

    def wrk_arguments(self) -> list[str]:
        return [f"kind={self.kind}", *(f"{key}={value}" for key, value in self.options.items())]


def get(path: str) -> Workload:
    return Workload("get", {"path": path})


def start(pipelines: range, path: str = "/start_pipeline_execution") -> Workload:
    """Start runs of pipelines picked at random from `pipelines`."""
    return Workload("start", {"start_path": path, **_bounds(pipelines)})


def end(executions: range, path: str = "/end_pipeline_execution") -> Workload:
    """End the running executions `executions`, each once, in order (successful runs)."""
    return Workload(
        "end", {"end_path": path, "first": str(executions.start), "last": str(executions.stop - 1)}
    )


def lifecycle(
    pipelines: range,
    start_path: str = "/start_pipeline_execution",
    end_path: str = "/end_pipeline_execution",
) -> Workload:
    """Start a run of a random pipeline, then end it with the id the start answered."""
    return Workload(
        "lifecycle", {"start_path": start_path, "end_path": end_path, **_bounds(pipelines)}
    )


def with_key(workload: Workload, token: str) -> Workload:
    """`workload` with every request carrying `Authorization: Bearer <token>`."""
    return replace(workload, options={**workload.options, "authorization": f"Bearer {token}"})


def sync_pipeline(
    numbers: range, prefix: str, pipeline_type: str, path: str = "/pipeline"
) -> Workload:
    """POST /pipeline for names `prefix<n>` with n random in `numbers`."""
    return Workload(
        "pipeline", {"path": path, "prefix": prefix, "type": pipeline_type, **_bounds(numbers)}
    )


def _bounds(numbers: range) -> dict[str, str]:
    if not numbers or numbers.step != 1:
        raise ValueError("expected a non-empty range with step 1")
    return {"lo": str(numbers.start), "hi": str(numbers.stop - 1)}


@dataclass(frozen=True)
class Measurement:
    """One load run against one server: throughput, latency and everything that went wrong."""

    requests: int
    seconds: float
    non2xx: int
    socket_errors: int
    timeouts: int
    p50_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    lifecycles: int | None = None  # completed start+end pairs, for lifecycle workloads
    wrapped: int = 0  # how often an `end` workload ran out of fresh executions
    bad_status: int = 0  # the last non-2xx status seen, to help debugging
    loadgen: str = "wrk"
    other_cpu: float | None = None  # % of one core used by processes outside the benchmark
    server_cpu_seconds: float | None = None  # CPU the server's processes used meanwhile

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def rate(self) -> float:
        """The figure ratios compare: lifecycles/s for lifecycles, requests/s otherwise."""
        if self.lifecycles is not None:
            return self.lifecycles / self.seconds if self.seconds else 0.0
        return self.requests_per_second

    @property
    def failures(self) -> int:
        return self.non2xx + self.socket_errors + self.timeouts

    def to_dict(self) -> dict[str, object]:
        return {
            **asdict(self),
            "rate": self.rate,
            "requests_per_second": self.requests_per_second,
        }


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def run(
    base_url: str, workload: Workload, *, connections: int, seconds: float, loadgen: str = "wrk"
) -> Measurement:
    """Send `workload` to `base_url` over `connections` keep-alive connections for `seconds`."""
    if loadgen == "wrk":
        return _run_wrk(base_url, workload, connections, seconds)
    if workload.script is not None:
        raise RuntimeError(f"workload {workload.kind!r} has its own wrk script; install wrk")
    from bench.harness import pyload

    return pyload.run(base_url, workload, connections=connections, seconds=seconds)


def _run_wrk(base_url: str, workload: Workload, connections: int, seconds: float) -> Measurement:
    script = workload.script or LUA_SCRIPT
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        base_url,
        "--",
        *workload.wrk_arguments(),
    ]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    for line in completed.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            return _measurement(json.loads(line.removeprefix(RESULT_PREFIX)), workload)
    raise RuntimeError(
        f"wrk exited with {completed.returncode} and no result:\n"
        f"{completed.stdout[-2000:]}\n{completed.stderr[-2000:]}"
    )


def _measurement(raw: dict[str, float], workload: Workload) -> Measurement:
    measurement = Measurement(
        requests=int(raw["requests"]),
        seconds=float(raw["seconds"]),
        non2xx=int(raw["non2xx"]),
        socket_errors=int(raw["socket_errors"]),
        timeouts=int(raw["timeouts"]),
        p50_ms=float(raw["p50_ms"]),
        p90_ms=float(raw["p90_ms"]),
        p95_ms=float(raw["p95_ms"]),
        p99_ms=float(raw["p99_ms"]),
        max_ms=float(raw["max_ms"]),
        wrapped=int(raw.get("wrapped", 0)),
        bad_status=int(raw.get("bad_status", 0)),
    )
    if workload.counts_lifecycles:
        measurement = replace(measurement, lifecycles=int(raw["ends"]))
    return measurement
