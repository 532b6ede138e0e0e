"""Every SQL statement on address_type and address."""

from collections.abc import Collection
from functools import cache
from typing import Any

from sqlalchemy import Row, Select, String, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from watcher_server.db.bulk import is_one_of
from watcher_server.db.upsert import insert_if_absent
from watcher_server.models import Address, AddressType

address_types = AddressType.__table__
addresses = Address.__table__


async def get_type(conn: AsyncConnection, type_id: int) -> Row[Any] | None:
    return (await conn.execute(select(address_types).where(address_types.c.id == type_id))).first()


async def get_type_by_name(conn: AsyncConnection, name: str) -> Row[Any] | None:
    statement = select(address_types).where(address_types.c.name == name)
    return (await conn.execute(statement)).first()


async def get_types_by_name(conn: AsyncConnection, names: Collection[str]) -> list[Row[Any]]:
    statement = select(address_types).where(address_types.c.name.in_(names))
    return list(await conn.execute(statement))


async def insert_type_if_absent(conn: AsyncConnection, values: dict[str, Any]) -> int | None:
    return await insert_if_absent(conn, address_types, values, ["name"])


async def list_types(conn: AsyncConnection, limit: int, offset: int) -> list[Row[Any]]:
    statement = select(address_types).order_by(address_types.c.id).limit(limit).offset(offset)
    return list(await conn.execute(statement))


async def update_type(conn: AsyncConnection, type_id: int, values: dict[str, Any]) -> Row[Any]:
    statement = (
        update(address_types)
        .where(address_types.c.id == type_id)
        .values(**values)
        .returning(*address_types.c)
    )
    return (await conn.execute(statement)).one()


async def get_address(conn: AsyncConnection, address_id: int) -> Row[Any] | None:
    return (await conn.execute(select(addresses).where(addresses.c.id == address_id))).first()


async def get_address_id_by_name(conn: AsyncConnection, name: str) -> int | None:
    statement = select(addresses.c.id).where(addresses.c.name == name)
    return (await conn.execute(statement)).scalar_one_or_none()


@cache
def _address_states_statement(dialect: str, with_metadata: bool) -> Select:
    columns = [addresses.c.id, addresses.c.name, addresses.c.input_hash]
    if with_metadata:
        columns.append(addresses.c.address_metadata)
    names = is_one_of(dialect, addresses.c.name, "names", item_type=String())
    return select(*columns).where(names)


async def get_address_states(
    conn: AsyncConnection, names: Collection[str], *, with_metadata: bool = False
) -> list[Row[Any]]:
    """id, name and input_hash of the addresses called `names` (at most one chunk of
    `db.bulk.key_chunks`), and their address_metadata when asked: a document to decode, so
    only for callers that merge into it. One indexed lookup, its statement built once."""
    statement = _address_states_statement(conn.dialect.name, with_metadata)
    return list(await conn.execute(statement, {"names": list(names)}))


async def insert_address_if_absent(conn: AsyncConnection, values: dict[str, Any]) -> int | None:
    return await insert_if_absent(conn, addresses, values, ["name"])


async def list_addresses(conn: AsyncConnection, limit: int, offset: int) -> list[Row[Any]]:
    statement = select(addresses).order_by(addresses.c.id).limit(limit).offset(offset)
    return list(await conn.execute(statement))


async def update_address(
    conn: AsyncConnection, address_id: int, values: dict[str, Any]
) -> Row[Any]:
    statement = (
        update(addresses)
        .where(addresses.c.id == address_id)
        .values(**values)
        .returning(*addresses.c)
    )
    return (await conn.execute(statement)).one()


async def search_by_name(conn: AsyncConnection, part: str, limit: int) -> list[Row[Any]]:
    """Addresses whose name contains `part` (case-insensitive), with their type's name:
    names starting with it first, then the shortest, then alphabetically."""
    pattern = part.lower()
    name = func.lower(addresses.c.name)
    statement = (
        select(addresses.c.id, addresses.c.name, address_types.c.name.label("type"))
        .join_from(addresses, address_types, address_types.c.id == addresses.c.address_type_id)
        .where(name.contains(pattern, autoescape=True))
        .order_by(
            name.startswith(pattern, autoescape=True).desc(),
            func.length(addresses.c.name),
            addresses.c.name,
        )
        .limit(limit)
    )
    return list(await conn.execute(statement))
