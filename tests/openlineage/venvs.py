"""Virtualenvs for the real OpenLineage clients: each in its own, never in Watcher's.

A virtualenv is built once per set of pinned requirements and kept in a cache directory
(WATCHER_CLIENT_VENVS, by default ~/.cache/watcher-test-clients), so later runs reuse it. Two
test runs building the same one at once take turns on a lock. When pip cannot reach the package
registry the test is skipped, saying so; any other install failure fails it.
"""

import fcntl
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

CACHE = Path(
    os.environ.get("WATCHER_CLIENT_VENVS", Path.home() / ".cache" / "watcher-test-clients")
)
# What pip prints when the registry cannot be reached (it retries, then finds no version).
_OFFLINE = (
    "NewConnectionError",
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "ConnectTimeoutError",
    "ProxyError",
)
INSTALL_TIMEOUT_SECONDS = 900

# The clients the tests drive, pinned. The newest dbt-core pulls dependencies that do not
# install from the registry here: pinned below it, with the adapter and the OpenLineage
# integration of the same generation.
PYTHON_CLIENT = ("openlineage-python", ["openlineage-python==1.40.0"])
DBT = ("openlineage-dbt", ["dbt-core==1.10.13", "dbt-postgres==1.9.1", "openlineage-dbt==1.40.0"])


def client_python(name: str, requirements: list[str]) -> Path:
    """The python of a virtualenv holding exactly `requirements`, built on first use."""
    digest = hashlib.sha256("\n".join(sorted(requirements)).encode()).hexdigest()[:12]
    venv = CACHE / f"{name}-{digest}"
    python = venv / "bin" / "python"
    stamp = venv / ".installed"
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not stamp.exists():
            _build(venv, python, requirements)
            stamp.write_text("\n".join(requirements))
    return python


def _build(venv: Path, python: Path, requirements: list[str]) -> None:
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    install = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            *requirements,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=INSTALL_TIMEOUT_SECONDS,
    )
    if install.returncode == 0:
        return
    if any(sign in install.stderr for sign in _OFFLINE):
        pytest.skip(f"pip cannot reach the package registry to install {requirements}")
    raise AssertionError(f"pip install {requirements} failed:\n{install.stderr[-4000:]}")


def main() -> None:
    """Build every client's virtualenv now (CI does it in the background, ahead of the tests
    that need them): `python -m tests.openlineage.venvs`."""
    for name, requirements in (PYTHON_CLIENT, DBT):
        try:
            print(f"{name}: {client_python(name, requirements)}")
        except pytest.skip.Exception as skipped:
            print(f"{name}: not built: {skipped}")


if __name__ == "__main__":
    main()
