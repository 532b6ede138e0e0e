"""The `watcher` command, run as a user runs it: as a separate process."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import fresh_database

WATCHER = [sys.executable, "-m", "watcher_server"]
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run(*args: str, url: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "DATABASE_URL": url, **env}
    return subprocess.run(
        [*WATCHER, *args], env=environment, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    with fresh_database(tmp_path) as database_url:
        yield database_url


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_version(url: str) -> None:
    from watcher_server import __version__

    result = run("version", url=url)
    assert (result.returncode, result.stdout.strip()) == (0, __version__)


def test_db_commands(url: str) -> None:
    assert "current: none" in run("db", "current", url=url).stdout
    upgraded = run("db", "upgrade", url=url)
    assert upgraded.returncode == 0, upgraded.stderr
    current = run("db", "current", url=url).stdout
    assert current.splitlines()[0].replace("current", "head") == current.splitlines()[1]
    downgraded = run("db", "downgrade", "base", url=url)
    assert downgraded.returncode == 0, downgraded.stderr
    assert "current: none" in run("db", "current", url=url).stdout


def test_bad_setting_fails_with_one_line(url: str) -> None:
    result = run("db", "current", url=url, LOG_LEVEL="loud")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: invalid setting LOG_LEVEL:")
    assert len(result.stderr.strip().splitlines()) == 1


def test_serve_refuses_an_unmigrated_database(url: str) -> None:
    result = run("serve", "--port", str(free_port()), url=url)
    assert result.returncode == 1
    assert "watcher db upgrade" in result.stderr


def test_serve_answers_over_http(url: str) -> None:
    assert run("db", "upgrade", url=url).returncode == 0
    port = free_port()
    environment = {**os.environ, "DATABASE_URL": url, "PORT": str(port)}
    server = subprocess.Popen([*WATCHER, "serve"], env=environment, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base, server)
        with httpx.Client(base_url=base) as http:
            created = http.post("/pipeline", json={"name": "cli", "pipeline_type_name": "t"})
            run_id = http.post(
                "/start_pipeline_execution", json={"pipeline_id": created.json()["id"]}
            )
            ended = http.post("/end_pipeline_execution", json={"id": run_id.json()["id"]})
            assert (created.status_code, run_id.status_code, ended.status_code) == (201, 201, 204)
            assert http.get("/docs").status_code == 200
            assert "swagger-ui" in http.get("/static-offline-docs/swagger-ui.css").text
        example = subprocess.run(
            [sys.executable, str(EXAMPLES / "workflow.py"), base],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert example.returncode == 0, example.stderr
        assert "succeeded" in example.stdout
    finally:
        server.terminate()
        server.wait(timeout=10)


def wait_until_up(base: str, server: subprocess.Popen) -> None:
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
