from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from tests.clock import MovableClock
from tests.conftest import app_client
from watcher_server.settings import Settings


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
async def http(settings: Settings, clock: MovableClock) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app whose clock the test moves."""
    async with app_client(settings, clock=clock) as client:
        yield client
