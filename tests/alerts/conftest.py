from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.clock import MovableClock
from tests.conftest import fresh_database
from tests.receiver import AlertReceiver
from watcher_server.alerts.outbox import AlertDraft, AlertLevel, enqueue_alert
from watcher_server.db import Database, migrate
from watcher_server.jobs.spec import JobContext
from watcher_server.settings import Settings

SECRET = "s3cret"


@pytest.fixture(scope="module")
def alerts_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of their own, so that delivery tests can account for every alert in it."""
    with fresh_database(tmp_path_factory.mktemp("alerts")) as url:
        migrate.upgrade(url)
        yield url


@pytest.fixture
def receiver() -> Iterator[AlertReceiver]:
    with AlertReceiver() as running:
        yield running


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(datetime.now(UTC).replace(microsecond=0))


def channel_settings(url: str, receiver: AlertReceiver | None, **options: Any) -> Settings:
    """Settings sending to `receiver`: Slack at /slack, the signed webhook at /hook."""
    channels: dict[str, Any] = {}
    if receiver is not None:
        channels = {
            "slack_webhook_url": f"{receiver.url}/slack",
            "watcher_alert_webhook_url": f"{receiver.url}/hook",
            "watcher_alert_webhook_secret": SECRET,
        }
    defaults = {"watcher_background_jobs": False, "watcher_alert_timeout_seconds": 2}
    return Settings(_env_file=None, database_url=url, **{**defaults, **channels, **options})


@asynccontextmanager
async def job_context(settings: Settings, clock: MovableClock) -> AsyncIterator[JobContext]:
    """What a Watcher process gives its jobs; a second one stands for a restarted process."""
    database = Database(settings.database_url, pool_size=2)
    try:
        async with httpx.AsyncClient(timeout=settings.watcher_alert_timeout_seconds) as http:
            yield JobContext(database, settings, clock, http)
    finally:
        await database.dispose()


async def raise_alerts(context: JobContext, count: int, tag: str) -> list[int]:
    """Alerts written through the outbox, as any domain writes them."""
    async with context.database.transaction() as conn:
        return [
            await enqueue_alert(
                conn,
                AlertDraft(
                    kind=f"test.{tag}",
                    level=AlertLevel.WARNING,
                    title="Test alert",
                    message=f"alert {number} of {tag}",
                    details={"Number": str(number)},
                ),
                context.clock(),
            )
            for number in range(count)
        ]


def later(clock: MovableClock, seconds: float) -> datetime:
    return clock.now + timedelta(seconds=seconds)
