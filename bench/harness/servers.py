"""Server processes under test: started on a free port, awaited, measured, always stopped."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 10
# The same server stack for every app: uvicorn, one process, uvloop, httptools, no access log.
UVICORN_OPTIONS = ("--loop", "uvloop", "--http", "httptools", "--no-access-log")
# For comparing two servers' request paths: the background jobs (anomaly detection of every
# ended run above all) run in whichever server holds their lease, a third of its CPU under
# lifecycle load, so with them on an A/A comparison read 1.20x.
JOBS_OFF = {"WATCHER_BACKGROUND_JOBS": "false"}


class Server:
    """A running HTTP server process (its own process group, so nothing it spawns survives)."""

    def __init__(self, name: str, process: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.name = name
        self.process = process
        self.port = port
        self.log = log
        self.url = f"http://127.0.0.1:{port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_kib(self) -> int:
        """Resident memory of the server process, in KiB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError(f"no VmRSS for process {self.pid}")

    def wait_until_serving(self, health_path: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited on start:\n{self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + health_path, timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not answer in {START_TIMEOUT_SECONDS}s")

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.pid, signal.SIGKILL)
                self.process.wait()

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def serve(
    name: str, argv: list[str], env: Mapping[str, str], port: int, health_path: str
) -> Iterator[Server]:
    """Run `argv` with `env` added to this environment, in a scratch directory (so that no
    `.env` file of the caller's is read); yield it once `health_path` answers 200."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as scratch:
        log = Path(scratch) / "server.log"
        environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT), **env}
        with log.open("wb") as output:
            process = subprocess.Popen(
                argv,
                cwd=scratch,
                env=environment,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = Server(name, process, port, log)
        try:
            server.wait_until_serving(health_path)
            yield server
        finally:
            server.stop()


def watcher(
    database_url: str, env: Mapping[str, str] | None = None
) -> "contextlib.AbstractContextManager[Server]":
    """Watcher as users run it (`watcher serve`), on a migrated database."""
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "watcher_server",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    return serve("watcher", argv, {"DATABASE_URL": database_url, **(env or {})}, port, "/health")


def baseline(database_url: str) -> "contextlib.AbstractContextManager[Server]":
    """The reference app (`bench/baseline_app.py`) on the same database and server stack."""
    port = free_port()
    argv = [
        sys.executable, "-m", "uvicorn", "bench.baseline_app:app",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", *UVICORN_OPTIONS,
    ]  # fmt: skip
    return serve("baseline", argv, {"BENCH_BASELINE_DATABASE_URL": database_url}, port, "/hello")
