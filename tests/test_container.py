"""The container files: no engine runs here, so the image's own steps (scripts/container.sh)
run in a fresh virtualenv, and compose.yaml is checked against the real CLI."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml

from tests.processes import free_port
from watcher_server.cli import app

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "container.sh"
# What the Dockerfile copies into the image before installing.
IMAGE_SOURCES = ("pyproject.toml", "requirements.lock", "README.md", "src")


def _compose() -> dict[str, Any]:
    return yaml.safe_load((REPO / "compose.yaml").read_text())["services"]


def _watcher_services() -> dict[str, dict[str, Any]]:
    return {name: s for name, s in _compose().items() if s.get("image") == "watcher:local"}


def _resolve(words: list[str]) -> object | None:
    """The `watcher` command (not a group of commands) that `words` name, or None."""
    command = typer.main.get_command(app)
    for word in words:
        subcommands = getattr(command, "commands", None)  # only groups have them
        if subcommands is None:
            return None
        command = subcommands.get(word)
    return None if hasattr(command, "commands") else command


def test_compose_runs_watcher_commands_after_one_migration() -> None:
    services = _watcher_services()
    commands = {name: service["command"] for name, service in services.items()}
    assert sorted(map(tuple, commands.values())) == [("db", "upgrade"), ("jobs", "run"), ("serve",)]
    for name, words in commands.items():
        assert _resolve(words) is not None, f"{name}: `watcher {' '.join(words)}` does not exist"

    [migrate] = [name for name, words in commands.items() if words == ["db", "upgrade"]]
    postgres = _compose()["postgres"]
    assert "healthcheck" in postgres
    assert services[migrate]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert services[migrate]["restart"] == "no"
    for name, service in services.items():
        if name != migrate:
            wait = {migrate: {"condition": "service_completed_successfully"}}
            assert service["depends_on"] == wait, name
        assert service["environment"]["DATABASE_URL"].startswith("postgresql://"), name

    # The jobs run in their own process, once: never inside the API as well.
    [api] = [name for name, words in commands.items() if words == ["serve"]]
    assert services[api]["environment"]["WATCHER_BACKGROUND_JOBS"] == "false"
    # Processes that serve no HTTP cannot pass the image's /ready health check.
    for name, words in commands.items():
        if words != ["serve"]:
            assert services[name]["healthcheck"] == {"disable": True}, name


def test_the_dockerfile_runs_the_tested_steps() -> None:
    lines = [line.strip() for line in (REPO / "Dockerfile").read_text().splitlines()]
    instructions = [line for line in lines if line and not line.startswith("#")]
    assert instructions[0].startswith("FROM python:3.11-slim")
    assert "RUN container.sh install /opt/watcher /tmp/watcher \\" in instructions
    assert 'ENTRYPOINT ["container.sh", "start"]' in instructions
    assert 'CMD ["container.sh", "healthcheck"]' in instructions
    assert "USER watcher" in instructions
    for source in IMAGE_SOURCES:
        assert any(i.startswith("COPY") and f" {source} " in i for i in instructions), source


@pytest.mark.skipif(
    os.environ.get("WATCHER_TEST_IMAGE_STEPS") != "1",
    reason="installs from the package index (a minute or so); CI runs it: .ci/run",
)
def test_the_image_steps_install_and_serve(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for name in IMAGE_SOURCES:
        copy = shutil.copytree if (REPO / name).is_dir() else shutil.copy
        copy(REPO / name, source / name, **({"ignore": _caches} if name == "src" else {}))
    venv = tmp_path / "venv"
    install = ["sh", str(SCRIPT), "install", str(venv), str(source)]
    subprocess.run(install, env={**os.environ, "PYTHON": sys.executable}, check=True)
    assert not (venv / "bin" / "pytest").exists(), "the image must not carry dev dependencies"

    port = free_port()
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "WATCHER_"))},
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'watcher.db'}",
        "HOST": "127.0.0.1",
        "PORT": str(port),
    }

    def step(*words: str, **options: Any) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(["sh", str(SCRIPT), *words], env=environment, cwd=tmp_path, **options)

    assert step("healthcheck", capture_output=True).returncode != 0  # nothing serves yet
    step("start", "db", "upgrade", check=True, capture_output=True)
    server = subprocess.Popen(["sh", str(SCRIPT), "start", "serve"], env=environment, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 30
        while step("healthcheck", capture_output=True).returncode != 0:
            assert server.poll() is None, "the API exited"
            assert time.monotonic() < deadline, "/ready did not answer 200 in 30 s"
            time.sleep(0.3)
    finally:
        server.terminate()
        # uvicorn stops cleanly, then re-raises the signal it stopped on.
        assert server.wait(timeout=15) in (0, -signal.SIGTERM)


def _caches(_: str, names: list[str]) -> list[str]:
    return [name for name in names if name == "__pycache__" or name.endswith(".egg-info")]
