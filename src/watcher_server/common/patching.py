"""What every get-by-id-or-name PATCH shares: the values it sets, lookups, rename conflicts."""

from collections.abc import Awaitable, Collection
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError

from watcher_server.errors import Conflict, NotFound

T = TypeVar("T")


def patch_values(data: BaseModel, not_null: Collection[str]) -> dict[str, Any]:
    """The fields a PATCH sent, without the lookup id and without nulls for NOT NULL columns
    (a null sent for those means "leave unchanged")."""
    values = data.model_dump(exclude_unset=True, exclude={"id"})
    return {key: value for key, value in values.items() if value is not None or key not in not_null}


async def require(lookup: Awaitable[T | None], what: str) -> T:
    """The awaited lookup's result; NotFound naming `what` when there is none."""
    found = await lookup
    if found is None:
        raise NotFound(f"{what} not found")
    return found


def check_name_free(holder: int | None, own_id: int, what: str) -> None:
    """Conflict when the name a row is renamed to already belongs to another row."""
    if holder is not None and holder != own_id:
        raise Conflict(f"another {what} (id {holder}) already has that name")


async def update_or_conflict(statement: Awaitable[Row[Any]], what: str) -> Row[Any]:
    try:
        return await statement
    except IntegrityError:
        # A concurrent rename took the name between our check and our update.
        raise Conflict(f"another {what} already has that name") from None
