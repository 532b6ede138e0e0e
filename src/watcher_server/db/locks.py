"""Advisory locks: how Watcher processes sharing one database keep out of each other's way.

PostgreSQL has advisory locks. SQLite needs none: every Watcher transaction there starts with
BEGIN IMMEDIATE, which already lets one transaction at a time write, whatever the process.
"""

import hashlib

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from watcher_server.db.dialects import capabilities


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for `name` (the same in every process and release)."""
    digest = hashlib.sha256(f"watcher:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


async def lock_for_transaction(conn: AsyncConnection, name: str) -> None:
    """Wait until no other transaction holds the lock `name`; released at commit or rollback."""
    if capabilities(conn).advisory_locks:
        await conn.execute(select(func.pg_advisory_xact_lock(lock_key(name))))
