"""Run Watcher as a real server process, the way users deploy it."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

WATCHER = [sys.executable, "-m", "watcher_server"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def watcher_server(
    database_url: str, *arguments: str, log: Path | None = None, **env: str
) -> Iterator[str]:
    """Serve Watcher on a free port of a migrated database; yields its base URL.

    `arguments` are added to `watcher serve`; its log goes to the file `log` when given.
    """
    port = free_port()
    environment = {**os.environ, "DATABASE_URL": database_url, "PORT": str(port), **env}
    output = log.open("wb") if log else subprocess.PIPE
    server = subprocess.Popen([*WATCHER, "serve", *arguments], env=environment, stderr=output)
    if log:
        output.close()  # the server has its own copy
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_ready(base, server, log)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def wait_until_ready(base: str, server: subprocess.Popen, log: Path | None = None) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            output = log.read_bytes() if log else server.stderr.read()
            raise AssertionError(f"server exited: {output.decode()}")
        try:
            if httpx.get(f"{base}/ready").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("server did not become ready in 30 s")
