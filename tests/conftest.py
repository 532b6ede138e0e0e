"""Test fixtures: one migrated database per run, SQLite by default.

Set WATCHER_TEST_DATABASE_URL=postgresql://user@host:5432/db to run the same suite on
PostgreSQL: a fresh database is created next to the one named, migrated, and dropped at the end.
"""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from watcher_server.app import create_app
from watcher_server.db import migrate
from watcher_server.db.url import parse_database_url
from watcher_server.settings import Settings

TEST_DATABASE_URL = os.environ.get("WATCHER_TEST_DATABASE_URL", "")


async def _run_admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


@contextmanager
def fresh_database(directory: Path) -> Iterator[str]:
    """An empty database of the kind under test, removed afterwards."""
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{directory / f'watcher-{uuid.uuid4().hex[:8]}.db'}"
        return
    server = parse_database_url(TEST_DATABASE_URL)
    name = f"watcher_test_{uuid.uuid4().hex[:12]}"
    admin = server.render_as_string(hide_password=False)
    asyncio.run(_run_admin(admin, f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_run_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A freshly migrated database for this test run."""
    with fresh_database(Path(tmp_path_factory.mktemp("db"))) as url:
        migrate.upgrade(url)
        yield url


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    # Background jobs are tested on their own (tests/jobs, tests/alerts), with their own apps.
    return Settings(_env_file=None, database_url=database_url, watcher_background_jobs=False)


@pytest.fixture(scope="session")
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to one app shared by the whole run."""
    async with app_client(settings) as http:
        yield http


class app_client:  # noqa: N801 - used like a function
    """`async with app_client(settings, clock=...) as http:` — an app with its own settings."""

    def __init__(self, settings: Settings, **app_options: object) -> None:
        self.app = create_app(settings, **app_options)
        self._lifespan = self.app.router.lifespan_context(self.app)

    async def __aenter__(self) -> httpx.AsyncClient:
        await self._lifespan.__aenter__()
        self._http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://watcher.test"
        )
        return self._http

    async def __aexit__(self, *exc: object) -> None:
        await self._http.aclose()
        await self._lifespan.__aexit__(*exc)


@pytest.fixture
def unique() -> str:
    """A suffix that keeps this test's names apart from every other test's."""
    return uuid.uuid4().hex[:10]
