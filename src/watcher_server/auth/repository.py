"""Every SQL statement on api_key."""

from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from watcher_server.db.types import UTCDateTime
from watcher_server.db.upsert import upsertable_insert
from watcher_server.models import ApiKey

api_keys = ApiKey.__table__
# Everything about a key but its hash.
PUBLIC_COLUMNS = [column for column in api_keys.c if column.name != "token_hash"]


async def insert_if_absent(conn: AsyncConnection, values: dict[str, Any]) -> Row[Any] | None:
    """Insert a key; None when its name or hash is taken (no conflict target: both count)."""
    statement = (
        upsertable_insert(conn, api_keys)
        .values(**values)
        .on_conflict_do_nothing()
        .returning(*PUBLIC_COLUMNS)
    )
    return (await conn.execute(statement)).first()


async def get_by_hash(conn: AsyncConnection, token_hash: str) -> Row[Any] | None:
    statement = select(*PUBLIC_COLUMNS).where(api_keys.c.token_hash == token_hash)
    return (await conn.execute(statement)).first()


async def get(conn: AsyncConnection, key_id: int) -> Row[Any] | None:
    return (await conn.execute(select(*PUBLIC_COLUMNS).where(api_keys.c.id == key_id))).first()


async def get_by_name(conn: AsyncConnection, name: str) -> Row[Any] | None:
    statement = select(*PUBLIC_COLUMNS).where(api_keys.c.name == name)
    return (await conn.execute(statement)).first()


async def list_keys(conn: AsyncConnection) -> list[Row[Any]]:
    return list(await conn.execute(select(*PUBLIC_COLUMNS).order_by(api_keys.c.id)))


async def revoke(conn: AsyncConnection, key_id: int, now: datetime) -> Row[Any] | None:
    """Revoke the key (a revoked key keeps its first revocation time); None if none has the id."""
    statement = (
        update(api_keys)
        .where(api_keys.c.id == key_id)
        .values(revoked_at=func.coalesce(api_keys.c.revoked_at, literal(now, UTCDateTime)))
        .returning(*PUBLIC_COLUMNS)
    )
    return (await conn.execute(statement)).first()


async def touch(conn: AsyncConnection, key_id: int, now: datetime) -> None:
    """Record a use of the key."""
    await conn.execute(update(api_keys).where(api_keys.c.id == key_id).values(last_used_at=now))


async def count_usable(conn: AsyncConnection, now: datetime) -> int:
    """Keys neither revoked nor expired."""
    statement = (
        select(func.count())
        .select_from(api_keys)
        .where(
            api_keys.c.revoked_at.is_(None),
            or_(api_keys.c.expires_at.is_(None), api_keys.c.expires_at > now),
        )
    )
    return (await conn.execute(statement)).scalar_one()
