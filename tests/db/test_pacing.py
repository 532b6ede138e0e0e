"""Paced work rests in proportion to what it did, where resting holds up no one."""

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from watcher_server.db import Database, pacing
from watcher_server.settings import Settings


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    db = Database(settings.database_url)
    try:
        yield db
    finally:
        await db.dispose()


@pytest.fixture
def rests(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The rests asked for, in seconds (each only yields, to keep the test fast)."""
    asked: list[float] = []
    real_sleep = asyncio.sleep

    async def recording_sleep(seconds: float) -> None:
        asked.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr(pacing.asyncio, "sleep", recording_sleep)
    return asked


async def test_a_step_rests_its_ratio_of_the_time_it_took(
    database: Database, rests: list[float]
) -> None:
    async with database.transaction() as conn:
        pacer = pacing.Pacer(conn, rest_ratio=4.0)
        busy_until = time.perf_counter() + 0.05
        while time.perf_counter() < busy_until:  # the step's work
            pass
        await pacer.step_done()
        await pacer.step_done()  # a step that did nothing

    if database.dialect == "postgresql":
        assert 0.2 <= rests[0] < 1.0
        assert rests[1] < 0.05
    else:
        # SQLite: the transaction holds the only connection and the write lock.
        assert rests == [0.0, 0.0]
