"""Run Watcher as a real server process, the way users deploy it."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

WATCHER = [sys.executable, "-m", "watcher_server"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def watcher_server(database_url: str, **env: str) -> Iterator[str]:
    """Serve Watcher on a free port of a migrated database; yields its base URL."""
    port = free_port()
    environment = {**os.environ, "DATABASE_URL": database_url, "PORT": str(port), **env}
    server = subprocess.Popen([*WATCHER, "serve"], env=environment, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_ready(base, server)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def wait_until_ready(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"server exited: {server.stderr.read().decode()}")
        try:
            if httpx.get(f"{base}/ready").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("server did not become ready in 30 s")
