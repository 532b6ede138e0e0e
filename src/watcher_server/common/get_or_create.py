"""Get-or-create by a unique key, safe against every interleaving of concurrent writers."""

from collections.abc import Awaitable, Callable
from typing import TypeVar

from watcher_server.errors import Conflict

T = TypeVar("T")
U = TypeVar("U")

# A lap is lost only when the row our insert yielded to left its key (a rename, a PATCH of a
# rule's metric) before our lookup, within microseconds: the second lap nearly always ends it.
ATTEMPTS = 3


async def insert_or_find(
    insert: Callable[[], Awaitable[T | None]],
    find: Callable[[], Awaitable[U | None]],
    what: str,
    attempts: int = ATTEMPTS,
) -> tuple[T | U, bool]:
    """Insert the row, else find the one holding its key: (what the call answered, True when
    it was the insert).

    `insert` must yield to an existing row (ON CONFLICT DO NOTHING) and answer None. The
    lookup that follows sees the row it yielded to (on PostgreSQL each statement of a READ
    COMMITTED transaction reads what is committed when it starts), unless that row lost the
    key in between: then the key is free and the insert is tried again. SQLite runs one
    transaction at a time, so there the first lap always answers.
    """
    for _ in range(attempts):
        inserted = await insert()
        if inserted is not None:
            return inserted, True
        found = await find()
        if found is not None:
            return found, False
    raise Conflict(f"{what} kept changing while this call created it; retry")
