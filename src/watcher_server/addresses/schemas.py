"""Request and response bodies of /address_type and /address."""

from datetime import datetime
from typing import Any

from pydantic import AliasChoices, Field, model_validator

from watcher_server.common.schemas import (
    BodyId,
    Metadata,
    Name,
    RequestModel,
    ResponseModel,
    TrimmedText,
    at_least_one,
    not_both,
)

# Parts of an address (database, schema, table, key columns) keep their case; only names are
# matched case-insensitively.
AddressPart = TrimmedText


def _require_id_or_name(model: Any) -> None:
    if model.id is None and model.name is None:
        raise ValueError("Either 'id' or 'name' must be provided")


class AddressTypeCreate(RequestModel):
    """Get-or-create by name; an existing type keeps its group (change it with PATCH)."""

    name: Name
    group_name: Name


class AddressTypePatch(RequestModel):
    """Find the type by `id` (then `name` renames it) or by `name`; set what is sent."""

    id: BodyId | None = None
    name: Name | None = None
    group_name: Name | None = None

    @model_validator(mode="after")
    def _lookup_key(self) -> "AddressTypePatch":
        _require_id_or_name(self)
        return self

    @classmethod
    def rules(cls) -> list[dict[str, Any]]:
        return [at_least_one("id", "name")]


class AddressTypeOut(ResponseModel):
    id: int
    name: str
    group_name: str
    created_at: datetime
    updated_at: datetime | None


class AddressCreate(RequestModel):
    """An address as a pipeline declares it; also the shape of each address in a lineage.

    The original's first lineage API named the address `address_name`; both spellings work.
    """

    name: Name = Field(validation_alias=AliasChoices("name", "address_name"))
    address_type_name: Name
    address_type_group_name: Name
    database_name: AddressPart | None = None
    schema_name: AddressPart | None = None
    table_name: AddressPart | None = None
    primary_key: AddressPart | None = None
    address_metadata: Metadata | None = None


class AddressPatch(RequestModel):
    """Find the address by `id` (then `name` renames it) or by `name`; set what is sent.

    Fields left out are unchanged; a null clears a nullable field.
    """

    id: BodyId | None = None
    name: Name | None = None
    address_type_id: BodyId | None = None
    address_type_name: Name | None = None
    database_name: AddressPart | None = None
    schema_name: AddressPart | None = None
    table_name: AddressPart | None = None
    primary_key: AddressPart | None = None
    address_metadata: Metadata | None = None

    @model_validator(mode="after")
    def _lookup_key(self) -> "AddressPatch":
        _require_id_or_name(self)
        if self.address_type_id is not None and self.address_type_name is not None:
            raise ValueError("give address_type_id or address_type_name, not both")
        return self

    @classmethod
    def rules(cls) -> list[dict[str, Any]]:
        return [at_least_one("id", "name"), not_both("address_type_id", "address_type_name")]


class AddressOut(ResponseModel):
    id: int
    name: str
    address_type_id: int
    database_name: str | None
    schema_name: str | None
    table_name: str | None
    primary_key: str | None
    address_metadata: Metadata | None
    input_hash: str | None
    created_at: datetime
    updated_at: datetime | None
