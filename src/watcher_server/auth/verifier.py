"""Checking presented tokens and console sessions against api_key, cheaply.

Each key's row is read at most once a second per process, so a revocation (or expiry) made
by any process is honoured everywhere within a second, and requests in between cost a dict
lookup. A use is written back at most once a minute per key (`KeyState.due_for_touch`).
"""

import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from watcher_server.auth import repository as repo
from watcher_server.auth import tokens
from watcher_server.auth.service import KeyState
from watcher_server.clock import Clock
from watcher_server.db import Database

CACHE_SECONDS = 1.0
# Distinct tokens and sessions remembered at most; past it the cache starts afresh.
MAX_CACHED = 10_000

Fetch = Callable[[AsyncConnection], Awaitable[Row[Any] | None]]


class KeyVerifier:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._database = database
        self._clock = clock
        self._monotonic = monotonic
        # (kind, token or key id) -> (when the read began, the key or None). Keyed by the
        # token itself, which the process holds anyway while it serves the request: hashing
        # it with SHA-256 took some 17 µs of a request's CPU (OpenSSL's set-up, in cold caches),
        # a dict lookup takes one. Only the database lookup needs the digest.
        self._cache: dict[tuple[str, object], tuple[float, KeyState | None]] = {}

    def recent(self, token: str) -> KeyState | None:
        """The key `token` belongs to when its row was read less than a second ago, it is
        usable and its use needs no recording now; otherwise None, and `by_token` decides.
        Synchronous, without a database read: the path of nearly every request."""
        cached = self._fresh(("token", token), self._monotonic())
        if cached is None:
            return None
        key, now = cached[1], self._clock()
        if key is None or not key.usable(now) or key.due_for_touch(now):
            return None
        return key

    async def by_token(self, token: str) -> KeyState | None:
        """The usable key `token` belongs to; None for an unknown, expired or revoked one."""
        if not tokens.looks_like_token(token):
            return None
        return await self._usable(
            ("token", token), lambda conn: repo.get_by_hash(conn, tokens.digest(token))
        )

    async def by_id(self, key_id: int) -> KeyState | None:
        """The usable key with this id (a console session names its key by id)."""
        return await self._usable(("id", key_id), lambda conn: repo.get(conn, key_id))

    async def _usable(self, cache_key: tuple[str, object], fetch: Fetch) -> KeyState | None:
        started = self._monotonic()
        cached = self._fresh(cache_key, started)
        if cached is not None:
            read_at, key = cached
        else:
            # Timed from before the read: a revocation committed after it began is seen by
            # the next read, less than CACHE_SECONDS later.
            read_at = started
            async with self._database.autocommit() as conn:
                row = await fetch(conn)
            key = None if row is None else KeyState.from_row(row)
            if len(self._cache) >= MAX_CACHED:
                self._cache.clear()
            self._cache[cache_key] = (read_at, key)
        now = self._clock()
        if key is None or not key.usable(now):
            return None
        if key.due_for_touch(now):
            key = key._replace(last_used_at=now)
            self._cache[cache_key] = (read_at, key)
            async with self._database.autocommit() as conn:
                await repo.touch(conn, key.id, now)
        return key

    def _fresh(
        self, cache_key: tuple[str, object], at: float
    ) -> tuple[float, KeyState | None] | None:
        """The cached read of `cache_key` when it began less than CACHE_SECONDS before `at`."""
        cached = self._cache.get(cache_key)
        return cached if cached is not None and at - cached[0] < CACHE_SECONDS else None
