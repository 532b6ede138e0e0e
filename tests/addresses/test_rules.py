"""Address rules without a database."""

import pytest

from watcher_server.addresses.rules import (
    ConflictingDeclarations,
    address_values,
    merge_declarations,
    split_database_name,
)
from watcher_server.addresses.schemas import AddressCreate


def declare(name: str, **fields: object) -> AddressCreate:
    return AddressCreate.model_validate(
        {"name": name, "address_type_name": "pg", "address_type_group_name": "database", **fields}
    )


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("db.schema.table", ("db", "schema", "table")),
        ("db.schema", None),
        ("a.b.c.d", None),
        ("db..table", None),
        ("plain", None),
    ],
)
def test_split_database_name(name: str, parts: tuple[str, str, str] | None) -> None:
    assert split_database_name(name) == parts


def test_the_seed_spelling_address_name_is_accepted() -> None:
    assert AddressCreate.model_validate(
        {"address_name": " Orders ", "address_type_name": "pg", "address_type_group_name": "db"}
    ).name == ("orders")


def test_repeated_declarations_are_combined() -> None:
    merged = merge_declarations(
        [declare("b"), declare("a", primary_key="id"), declare("A", address_metadata={"k": 1})]
    )
    assert list(merged) == ["a", "b"]
    assert merged["a"].primary_key == "id"
    assert merged["a"].address_metadata == {"k": 1}


def test_contradictory_declarations_are_refused() -> None:
    with pytest.raises(ConflictingDeclarations, match="primary_key"):
        merge_declarations([declare("a", primary_key="id"), declare("a", primary_key="key")])
    with pytest.raises(ConflictingDeclarations, match="two groups"):
        merge_declarations([declare("a"), declare("b", address_type_group_name="file")])


def test_values_take_the_database_parts_from_the_name() -> None:
    values = address_values(declare("w.s.t", table_name="other", primary_key="id"), 7, "database")
    assert values == {
        "address_type_id": 7,
        "database_name": "w",
        "schema_name": "s",
        "table_name": "t",
        "primary_key": "id",
    }
    assert address_values(declare("w.s.t"), 7, "file") == {"address_type_id": 7}
