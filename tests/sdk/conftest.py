"""The published client, etl-watcher-sdk, driving a real Watcher server process.

The SDK is installed into its own virtualenv (`.venv-sdk`, built on first use) so that its
`watcher` package can never shadow anything of ours. It declares Python >= 3.12 but runs on 3.11.
"""

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.processes import watcher_server

SDK_VERSION = "0.1.43"
SDK_VENV = Path(__file__).resolve().parents[2] / ".venv-sdk"
SDK_PYTHON = SDK_VENV / "bin" / "python"

# Variables that make the SDK probe cloud metadata servers for credentials.
_CLOUD_VARIABLES = (
    "GOOGLE_APPLICATION_CREDENTIALS",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_ID",
    "AWS_ACCESS_KEY_ID",
    "AWS_REGION",
)


def _sdk_installed() -> bool:
    if not SDK_PYTHON.exists():
        return False
    probe = subprocess.run(
        [
            str(SDK_PYTHON),
            "-c",
            "import importlib.metadata as m; print(m.version('etl-watcher-sdk'))",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd="/",
    )
    return probe.stdout.strip() == SDK_VERSION


@pytest.fixture(scope="session")
def sdk_python() -> Path:
    if not _sdk_installed():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(SDK_VENV)], check=True)
        subprocess.run(
            [
                str(SDK_PYTHON),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--ignore-requires-python",
                f"etl-watcher-sdk=={SDK_VERSION}",
            ],
            check=True,
        )
    return SDK_PYTHON


@pytest.fixture(scope="session")
def watcher_url(database_url: str) -> Iterator[str]:
    """Watcher as deployed by default (new pipelines start with load_lineage=true)."""
    with watcher_server(database_url) as base:
        yield base


@pytest.fixture(scope="session")
def watcher_url_without_lineage_default(database_url: str) -> Iterator[str]:
    """Watcher with WATCHER_DEFAULT_LOAD_LINEAGE=false, for clients that declare no lineage."""
    with watcher_server(database_url, WATCHER_DEFAULT_LOAD_LINEAGE="false") as base:
        yield base


PRELUDE = """
import json, os, warnings
from watcher import *
from watcher.orchestration import OrchestratedETL, OrchestrationContext
URL = os.environ["WATCHER_URL"]
client = Watcher(URL)
"""


def run_sdk(sdk_python: Path, base_url: str, code: str, **variables: Any) -> Any:
    """Run `code` with the SDK against `base_url`; it must assign `result`, which is returned."""
    script = PRELUDE + "\n".join(f"{k} = {v!r}" for k, v in variables.items())
    script += "\n" + textwrap.dedent(code) + "\nprint(json.dumps(result, default=str))\n"
    environment = {k: v for k, v in os.environ.items() if k not in _CLOUD_VARIABLES}
    environment["WATCHER_URL"] = base_url
    completed = subprocess.run(
        [str(sdk_python), "-c", script],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd="/",
    )
    if completed.returncode != 0:
        raise SDKFailed(completed.stderr)
    return json.loads(completed.stdout.strip().splitlines()[-1])


class SDKFailed(Exception):
    """The SDK script raised; the message is its traceback."""
