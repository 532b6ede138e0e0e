"""Rules for address types and addresses: get-or-create by name, configuration sync, PATCH."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from watcher_server.addresses import repository as repo
from watcher_server.addresses.rules import (
    ConflictingDeclarations,
    address_values,
    declared_config,
    merge_declarations,
)
from watcher_server.addresses.schemas import (
    AddressCreate,
    AddressPatch,
    AddressTypeCreate,
    AddressTypePatch,
)
from watcher_server.common.digest import config_digest
from watcher_server.common.get_or_create import insert_or_find
from watcher_server.common.patching import (
    check_name_free,
    patch_values,
    require,
    update_or_conflict,
)
from watcher_server.db import Database
from watcher_server.errors import InvalidInput

# Columns that reject NULL: a null sent in a PATCH for them means "leave unchanged".
_NOT_NULL = frozenset({"name", "group_name", "address_type_id", "address_type_name"})


class TypeRef(NamedTuple):
    id: int
    group_name: str


class AddressRef(NamedTuple):
    id: int
    created: bool


async def get_or_create_types(
    conn: AsyncConnection, groups: dict[str, str], now: datetime
) -> dict[str, TypeRef]:
    """The types named in `groups` (name → group of a new type), creating the missing ones.

    Existing types keep their group. Inserts run in name order, so two transactions creating
    overlapping sets cannot deadlock.
    """
    found = {
        row.name: TypeRef(row.id, row.group_name)
        for row in await repo.get_types_by_name(conn, list(groups))
    }
    for name in sorted(set(groups) - set(found)):
        found[name], _ = await _insert_or_find_type(conn, name, groups[name], now)
    return found


async def _insert_or_find_type(
    conn: AsyncConnection, name: str, group: str, now: datetime
) -> tuple[TypeRef, bool]:
    """Create the type; if another transaction just did, the one it created (with its group)."""

    async def insert() -> TypeRef | None:
        values = {"name": name, "group_name": group, "created_at": now}
        new_id = await repo.insert_type_if_absent(conn, values)
        return None if new_id is None else TypeRef(new_id, group)

    async def find() -> TypeRef | None:
        row = await repo.get_type_by_name(conn, name)
        return None if row is None else TypeRef(row.id, row.group_name)

    return await insert_or_find(insert, find, f"address type {name!r}")


async def get_or_create_addresses(
    conn: AsyncConnection, declarations: Iterable[AddressCreate], now: datetime
) -> dict[str, AddressRef]:
    """Get-or-create every declared address by name (and its type), applying changed fields.

    A declaration whose digest differs from the stored one sets the fields it gives; nulls never
    wipe a stored value. One read finds every address, so re-sending an unchanged lineage
    costs that read only.
    """
    try:
        merged = merge_declarations(declarations)
    except ConflictingDeclarations as exc:
        raise InvalidInput(str(exc)) from None
    digests = {name: config_digest(declared_config(d)) for name, d in merged.items()}
    states = {row.name: row for row in await repo.get_address_states(conn, list(merged))}
    result = {
        name: AddressRef(state.id, False)
        for name, state in states.items()
        if state.input_hash == digests[name]
    }
    pending = [name for name in merged if name not in result]  # sorted: deadlock-free inserts
    if not pending:
        return result
    types = await get_or_create_types(
        conn,
        {merged[n].address_type_name: merged[n].address_type_group_name for n in pending},
        now,
    )
    for name in pending:
        declaration, digest = merged[name], digests[name]
        type_ref = types[declaration.address_type_name]
        values = address_values(declaration, type_ref.id, type_ref.group_name)
        state, created = states.get(name), False
        if state is None:
            new = {**values, "name": name, "input_hash": digest, "created_at": now}
            state, created = await _insert_or_find_address(conn, new)
        if state.input_hash != digest:
            await repo.update_address(
                conn, state.id, {**values, "input_hash": digest, "updated_at": now}
            )
        result[name] = AddressRef(state.id, created)
    return result


class _Stored(NamedTuple):
    id: int
    input_hash: str | None


async def _insert_or_find_address(
    conn: AsyncConnection, values: dict[str, Any]
) -> tuple[_Stored, bool]:
    """Create the address; if another transaction just did, the one it created."""

    async def insert() -> _Stored | None:
        new_id = await repo.insert_address_if_absent(conn, values)
        return None if new_id is None else _Stored(new_id, values["input_hash"])

    async def find() -> _Stored | None:
        rows = await repo.get_address_states(conn, [values["name"]])
        return _Stored(rows[0].id, rows[0].input_hash) if rows else None

    return await insert_or_find(insert, find, f"address {values['name']!r}")


async def create_type(db: Database, data: AddressTypeCreate, now: datetime) -> tuple[int, bool]:
    """Get-or-create; an existing type keeps its group (change it with PATCH)."""
    async with db.transaction() as conn:
        existing = await repo.get_type_by_name(conn, data.name)
        if existing is not None:
            return existing.id, False
        ref, created = await _insert_or_find_type(conn, data.name, data.group_name, now)
        return ref.id, created


async def get_type(db: Database, type_id: int) -> Row[Any]:
    async with db.transaction() as conn:
        return await require(repo.get_type(conn, type_id), f"address type {type_id}")


async def list_types(db: Database, limit: int, offset: int) -> list[Row[Any]]:
    async with db.transaction() as conn:
        return await repo.list_types(conn, limit, offset)


async def patch_type(db: Database, data: AddressTypePatch, now: datetime) -> Row[Any]:
    values = patch_values(data, _NOT_NULL)
    async with db.transaction() as conn:
        if data.id is not None:
            type_id = data.id
            await require(repo.get_type(conn, type_id), f"address type {type_id}")
        else:
            row = await require(
                repo.get_type_by_name(conn, data.name), f"address type {data.name!r}"
            )
            type_id = row.id
            values.pop("name", None)
        if "name" in values:
            holder = await repo.get_type_by_name(conn, values["name"])
            check_name_free(holder.id if holder else None, type_id, "address type")
        return await update_or_conflict(
            repo.update_type(conn, type_id, {**values, "updated_at": now}), "address type"
        )


async def create_address(db: Database, data: AddressCreate, now: datetime) -> tuple[int, bool]:
    """Get-or-create by name; a changed declaration applies the fields it gives."""
    async with db.transaction() as conn:
        ref = (await get_or_create_addresses(conn, [data], now))[data.name]
        return ref.id, ref.created


async def get_address(db: Database, address_id: int) -> Row[Any]:
    async with db.transaction() as conn:
        return await require(repo.get_address(conn, address_id), f"address {address_id}")


async def list_addresses(db: Database, limit: int, offset: int) -> list[Row[Any]]:
    async with db.transaction() as conn:
        return await repo.list_addresses(conn, limit, offset)


async def patch_address(db: Database, data: AddressPatch, now: datetime) -> Row[Any]:
    values = patch_values(data, _NOT_NULL)
    type_name = values.pop("address_type_name", None)
    async with db.transaction() as conn:
        if data.id is not None:
            address_id = data.id
            await require(repo.get_address(conn, address_id), f"address {address_id}")
        else:
            address_id = await require(
                repo.get_address_id_by_name(conn, data.name), f"address {data.name!r}"
            )
            values.pop("name", None)
        if "name" in values:
            holder = await repo.get_address_id_by_name(conn, values["name"])
            check_name_free(holder, address_id, "address")
        if type_name is not None:
            row = await require(
                repo.get_type_by_name(conn, type_name), f"address type {type_name!r}"
            )
            values["address_type_id"] = row.id
        elif "address_type_id" in values:
            type_id = values["address_type_id"]
            await require(repo.get_type(conn, type_id), f"address type {type_id}")
        return await update_or_conflict(
            repo.update_address(conn, address_id, {**values, "updated_at": now}), "address"
        )
