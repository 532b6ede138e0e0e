"""Rules of API keys: create (the token shown once), list, revoke, bootstrap."""

from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Row

from watcher_server.auth import repository as repo
from watcher_server.auth import tokens
from watcher_server.auth.durations import MAX_LIFETIME_SECONDS
from watcher_server.auth.schemas import ApiKeyCreate
from watcher_server.auth.scopes import Scope
from watcher_server.db import Database
from watcher_server.errors import Conflict, InvalidInput, NotFound

# A key's use is recorded when its last recorded use is older than this.
TOUCH_INTERVAL = timedelta(minutes=1)


class KeyState(NamedTuple):
    """What a request's check needs to know about a key."""

    id: int
    name: str
    scope: Scope
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def from_row(cls, row: Row[Any]) -> "KeyState":
        return cls(
            row.id, row.name, Scope(row.scope), row.expires_at, row.revoked_at, row.last_used_at
        )

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    def due_for_touch(self, now: datetime) -> bool:
        return self.last_used_at is None or now - self.last_used_at >= TOUCH_INTERVAL


class NewKey(NamedTuple):
    row: Row[Any]
    token: str


def _expiry(body: ApiKeyCreate, now: datetime) -> datetime | None:
    if body.expires_in is not None:
        if not 1 <= body.expires_in <= MAX_LIFETIME_SECONDS:
            raise InvalidInput(
                f"must be between 1 second and {MAX_LIFETIME_SECONDS // 86_400} days",
                field="expires_in",
            )
        return now + timedelta(seconds=body.expires_in)
    if body.expires_at is not None and body.expires_at <= now:
        raise InvalidInput("must be in the future", field="expires_at")
    return body.expires_at


async def create_key(db: Database, body: ApiKeyCreate, now: datetime) -> NewKey:
    """A new key under a name no other key has (409 otherwise); answers its token once."""
    token = tokens.generate()
    values = {
        "name": body.name,
        "scope": body.scope.value,
        "token_hash": tokens.digest(token),
        "expires_at": _expiry(body, now),
        "created_at": now,
    }
    async with db.transaction() as conn:
        row = await repo.insert_if_absent(conn, values)
    if row is None:
        raise Conflict(f"an API key named {body.name!r} exists; choose another name")
    return NewKey(row, token)


async def list_keys(db: Database) -> list[Row[Any]]:
    async with db.autocommit() as conn:
        return await repo.list_keys(conn)


async def revoke_key(db: Database, key_id: int, now: datetime) -> Row[Any]:
    """Revoke a key; revoking it again changes nothing."""
    async with db.transaction() as conn:
        row = await repo.revoke(conn, key_id, now)
    if row is None:
        raise NotFound(f"API key {key_id} not found")
    return row


async def find_key(db: Database, name_or_id: str) -> Row[Any]:
    """A key by name, else by id when the text is a number (for the command line)."""
    async with db.autocommit() as conn:
        row = await repo.get_by_name(conn, name_or_id)
        if row is None and name_or_id.isdigit():
            row = await repo.get(conn, int(name_or_id))
    if row is None:
        raise NotFound(f"no API key has the name or id {name_or_id!r}")
    return row


def bootstrap_name(token: str) -> str:
    """The bootstrap key's name: one per token, so that a new token is a new key."""
    return f"bootstrap-{tokens.digest(token)[:12]}"


async def bootstrap_admin(db: Database, token: str, now: datetime) -> bool:
    """Make `token` an admin key unless it is one already: True when this call created it.

    One statement that yields to an existing row, so concurrent starts of several processes
    create it once; a bootstrap key that was revoked stays revoked.
    """
    values = {
        "name": bootstrap_name(token),
        "scope": Scope.ADMIN.value,
        "token_hash": tokens.digest(token),
        "created_at": now,
    }
    async with db.transaction() as conn:
        return await repo.insert_if_absent(conn, values) is not None


async def has_usable_key(db: Database, now: datetime) -> bool:
    async with db.autocommit() as conn:
        return await repo.count_usable(conn, now) > 0
