"""A second connection to the test database, to read what the lineage API wrote."""

from collections.abc import AsyncIterator

import pytest

from watcher_server.db import Database
from watcher_server.settings import Settings


@pytest.fixture(scope="session")
async def database(settings: Settings) -> AsyncIterator[Database]:
    db = Database(settings.database_url, pool_size=2)
    yield db
    await db.dispose()
