"""The `watcher` command, run as a user runs it: as a separate process."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import fresh_database
from tests.processes import WATCHER, free_port, watcher_server

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


def test_an_unknown_revision_is_a_clear_error(url: str) -> None:
    assert run("db", "upgrade", url=url).returncode == 0
    for command in ("upgrade", "downgrade"):
        result = run("db", command, "no_such_revision", url=url)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        assert result.stderr.strip().splitlines()[-1] == (
            "error: Can't locate revision identified by 'no_such_revision'"
        )
    assert "current: none" not in run("db", "current", url=url).stdout


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
    with watcher_server(url) as base, httpx.Client(base_url=base) as http:
        created = http.post("/pipeline", json={"name": "cli", "pipeline_type_name": "t"})
        run_id = http.post("/start_pipeline_execution", json={"pipeline_id": created.json()["id"]})
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


@pytest.mark.parametrize("workers", ["0", "two", "257"])
def test_serve_refuses_a_bad_worker_count(url: str, workers: str) -> None:
    result = run("serve", "--workers", workers, url=url)
    assert result.returncode == 2
    message = " ".join(result.stderr.replace("│", " ").split())  # as typer boxes it
    assert "Invalid value for '--workers': a number from 1 to 256, or auto" in message
