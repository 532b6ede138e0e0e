"""`watcher keys` and the start-up check of `watcher serve`: the key rules, from a terminal."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import ValidationError

from watcher_server.auth import service
from watcher_server.auth.modes import auth_required
from watcher_server.auth.schemas import ApiKeyCreate
from watcher_server.clock import utcnow
from watcher_server.db import Database
from watcher_server.errors import WatcherError
from watcher_server.settings import Settings
from watcher_server.ui.templating import timestamp

T = TypeVar("T")
NO_KEY = (
    "API keys are required (WATCHER_AUTH, or a non-loopback --host) and none exists: create "
    "one with `watcher keys create --name admin --scope admin`, or set "
    "WATCHER_BOOTSTRAP_ADMIN_KEY"
)


class KeysFailed(Exception):
    """A key command could not do what was asked; the message says why."""


def _run(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    async def run() -> T:
        db = Database(settings.database_url, pool_size=1)
        try:
            return await work(db)
        finally:
            await db.dispose()

    try:
        return asyncio.run(run())
    except WatcherError as exc:
        raise KeysFailed(exc.message) from None


def create(settings: Settings, name: str, scope: str, expires_in: str | None) -> str:
    """Create a key; answers its token."""
    try:
        body = ApiKeyCreate.model_validate({"name": name, "scope": scope, "expires_in": expires_in})
    except ValidationError as exc:
        raise KeysFailed("; ".join(_describe(error) for error in exc.errors())) from None
    created = _run(settings, lambda db: service.create_key(db, body, utcnow()))
    return created.token


def list_table(settings: Settings) -> str:
    """Every key as a table (never a token)."""
    rows = _run(settings, service.list_keys)
    header = ("id", "name", "scope", "created", "expires", "last used", "revoked")
    lines = [header] + [
        (
            str(row.id),
            row.name,
            row.scope,
            timestamp(row.created_at),
            timestamp(row.expires_at) if row.expires_at else "never",
            timestamp(row.last_used_at) if row.last_used_at else "never",
            timestamp(row.revoked_at) if row.revoked_at else "no",
        )
        for row in rows
    ]
    widths = [max(len(line[column]) for line in lines) for column in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


def revoke(settings: Settings, name_or_id: str) -> str:
    """Revoke the key named (or numbered) `name_or_id`; answers what was done."""

    async def work(db: Database) -> Any:
        key = await service.find_key(db, name_or_id)
        return await service.revoke_key(db, key.id, utcnow())

    row = _run(settings, work)
    return f"revoked key {row.id} ({row.name}) at {timestamp(row.revoked_at)}"


def refusal_to_serve(settings: Settings) -> str | None:
    """Why `watcher serve` must not start with these (resolved) settings; None if it may."""
    if not auth_required(settings) or settings.watcher_bootstrap_admin_key is not None:
        return None
    has_key = _run(settings, lambda db: service.has_usable_key(db, utcnow()))
    return None if has_key else NO_KEY


def _describe(error: Any) -> str:
    """A validation error named after the command's option (`--expires-in`)."""
    option = "--" + "-".join(str(part) for part in error.get("loc", ())).replace("_", "-")
    return f"{option}: {str(error.get('msg', '')).removeprefix('Value error, ')}"
