"""Throw-away databases: created for one run, migrated with Watcher's schema, always dropped."""

import asyncio
import contextlib
import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg

from watcher_server.db import migrate
from watcher_server.db.url import parse_database_url

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def postgres_server_url() -> str:
    """The server throw-away databases are created on: BENCH_POSTGRES_URL, else the default."""
    return os.environ.get("BENCH_POSTGRES_URL") or DEFAULT_POSTGRES_URL


def plain_url(url: str) -> str:
    """`url` as asyncpg and Watcher both accept it (no SQLAlchemy driver suffix)."""
    parsed = parse_database_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


async def _admin(server_url: str, statement: str) -> None:
    connection = await asyncpg.connect(plain_url(server_url))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextlib.contextmanager
def postgres(label: str, server_url: str | None = None) -> Iterator[str]:
    """A new, migrated PostgreSQL database; its URL. Dropped on exit, whatever happened."""
    server_url = server_url or postgres_server_url()
    name = f"watcher_bench_{label}_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    try:
        url = plain_url(parse_database_url(server_url).set(database=name).render_as_string(False))
        migrate.upgrade(url)
        yield url
    finally:
        asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextlib.contextmanager
def sqlite(label: str) -> Iterator[str]:
    """A new, migrated SQLite file in a scratch directory; its URL. Removed on exit."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{label}-") as scratch:
        url = f"sqlite:///{Path(scratch) / 'watcher.db'}"
        migrate.upgrade(url)
        yield url


def sqlite_path(url: str) -> str:
    database = parse_database_url(url).database
    if not database:
        raise ValueError(f"not a SQLite file URL: {url}")
    return database
