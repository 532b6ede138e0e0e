"""Pure rules for addresses: merging repeated declarations, splitting database names, the
column values a declaration sets. No database here."""

from collections.abc import Iterable
from typing import Any

from watcher_server.addresses.schemas import AddressCreate

DATABASE_GROUP = "database"
# Fields that describe the address itself; the type is resolved separately.
_ADDRESS_FIELDS = ("database_name", "schema_name", "table_name", "primary_key", "address_metadata")


class ConflictingDeclarations(ValueError):
    """The same address (or address type) is declared twice with different values."""


def split_database_name(name: str) -> tuple[str, str, str] | None:
    """`db.schema.table` → its three parts; None for any other shape."""
    parts = name.split(".")
    if len(parts) != 3 or not all(part.strip() for part in parts):
        return None
    database, schema, table = (part.strip() for part in parts)
    return database, schema, table


def merge_declarations(declarations: Iterable[AddressCreate]) -> dict[str, AddressCreate]:
    """One declaration per address name, sorted by name.

    An address may appear several times in one lineage (a table both read and written); the
    fields given in any of its declarations are combined, and two different values for the
    same field are a conflict.
    """
    merged: dict[str, dict[str, Any]] = {}
    for declaration in declarations:
        fields = declaration.model_dump(exclude_none=True)
        known = merged.setdefault(declaration.name, {})
        for key, value in fields.items():
            if key in known and known[key] != value:
                raise ConflictingDeclarations(
                    f"address {declaration.name!r} is declared twice with different {key}"
                )
            known[key] = value
    groups: dict[str, str] = {}
    for fields in merged.values():
        type_name, group = fields["address_type_name"], fields["address_type_group_name"]
        if groups.setdefault(type_name, group) != group:
            raise ConflictingDeclarations(
                f"address type {type_name!r} is declared with two groups: "
                f"{groups[type_name]!r} and {group!r}"
            )
    return {name: AddressCreate.model_validate(merged[name]) for name in sorted(merged)}


def declared_config(declaration: AddressCreate) -> dict[str, Any]:
    """What the address's digest covers: every field given, except the name it is found by."""
    return declaration.model_dump(exclude={"name"}, exclude_none=True)


def address_values(declaration: AddressCreate, type_id: int, type_group: str) -> dict[str, Any]:
    """Column values a declaration sets: the fields given, and for a database address with a
    three-part name, the database, schema and table taken from that name."""
    values: dict[str, Any] = {
        key: getattr(declaration, key)
        for key in _ADDRESS_FIELDS
        if getattr(declaration, key) is not None
    }
    values["address_type_id"] = type_id
    if type_group == DATABASE_GROUP:
        parts = split_database_name(declaration.name)
        if parts is not None:
            values["database_name"], values["schema_name"], values["table_name"] = parts
    return values
