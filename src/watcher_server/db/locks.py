"""Transaction-scoped locks that serialise one kind of write across connections."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

# Key of the PostgreSQL advisory lock held by every lineage write; an arbitrary constant that
# only has to differ from other advisory keys used on the same database.
LINEAGE_LOCK_KEY = 0x57A7_C4E2_0001


async def serialize_lineage_writes(conn: AsyncConnection) -> None:
    """Wait until no other transaction is writing lineage; held until this transaction ends.

    On PostgreSQL this is an advisory lock, so concurrent writers queue instead of interleaving
    their closure updates (or deadlocking on them). SQLite already runs one write transaction
    at a time (BEGIN IMMEDIATE), so there is nothing to do there.
    """
    if conn.dialect.name == "postgresql":
        await conn.execute(select(func.pg_advisory_xact_lock(LINEAGE_LOCK_KEY)))
