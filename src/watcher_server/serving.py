"""What `watcher serve` prepares before uvicorn starts its worker processes.

Workers are separate processes started from the same environment, so whatever they must
agree on is put in that environment: the console's signing secret (a form rendered by one
worker is posted to another) and the directory where every worker writes its metrics.
"""

import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from watcher_server.settings import MAX_WORKERS, Settings, WorkerCount

CONSOLE_SECRET = "WATCHER_CONSOLE_SECRET"
# prometheus_client's own variable. It must be set before prometheus_client is imported (it
# picks how to store samples then), so this module does not import it: with one worker the
# app runs in this very process.
MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"


def worker_count(workers: WorkerCount) -> int:
    """`auto` is one worker per core this process may run on."""
    if workers == "auto":
        return min(len(os.sched_getaffinity(0)), MAX_WORKERS)
    return workers


@contextmanager
def shared_by_workers(settings: Settings) -> Iterator[None]:
    """Set up the environment the workers inherit; remove what was made for them on exit."""
    if settings.watcher_console_secret is None:
        os.environ[CONSOLE_SECRET] = secrets.token_urlsafe(32)
    given = os.environ.get(MULTIPROC_DIR)
    if given:
        Path(given).mkdir(parents=True, exist_ok=True)
        # Files of an earlier run would be added to this one's counts.
        for stale in Path(given).glob("*.db"):
            stale.unlink()
        yield
        return
    directory = tempfile.mkdtemp(prefix="watcher-metrics-")
    os.environ[MULTIPROC_DIR] = directory
    try:
        yield
    finally:
        shutil.rmtree(directory, ignore_errors=True)
