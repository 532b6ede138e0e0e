"""What a background job is: a name, when it runs, and an async function of a JobContext."""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from watcher_server.clock import Clock
from watcher_server.db import Database
from watcher_server.settings import Settings


@dataclass(frozen=True)
class JobContext:
    """What every job receives. A job opens its own transactions on `database`."""

    database: Database
    settings: Settings
    clock: Clock
    http: httpx.AsyncClient


CronFunction = Callable[[JobContext], Awaitable[Mapping[str, Any] | None]]
PollFunction = Callable[[JobContext], Awaitable[int]]


@dataclass(frozen=True)
class CronJob:
    """Runs at the times of a five-field cron schedule (UTC), once per time across processes.

    The mapping it returns is kept as the job's last result. A None or empty schedule turns the
    job off.
    """

    name: str
    schedule: str | None
    run: CronFunction

    @property
    def enabled(self) -> bool:
        return bool(self.schedule and self.schedule.strip())


@dataclass(frozen=True)
class PollJob:
    """Runs every `every_seconds`, and again at once while it reports work done.

    For queues of durable "pending work" rows: the function claims a batch (FOR UPDATE SKIP
    LOCKED, so that several processes can poll safely), processes it and answers how many
    items it handled.
    """

    name: str
    every_seconds: float
    run: PollFunction

    @property
    def enabled(self) -> bool:
        return self.every_seconds > 0


Job = CronJob | PollJob
