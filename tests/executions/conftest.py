"""Fixtures of the execution tests."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.conftest import app_client
from watcher_server.settings import Settings


@pytest.fixture
async def own_app(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    """A client of an app of its own, and that app's Database: events listened to on its
    engine see only this test's requests, and on SQLite (one connection per engine) the
    shared `client` can still write while this app holds its connection."""
    async with app_client(settings) as http:
        yield http, http._transport.app.state.database  # type: ignore[attr-defined]
