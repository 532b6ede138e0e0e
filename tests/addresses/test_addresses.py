import httpx

from tests.factories import address, create_address
from tests.races import assert_created_after_a_rename, assert_one_created
from watcher_server.settings import Settings


async def get_address(client: httpx.AsyncClient, address_id: int) -> dict:
    response = await client.get(f"/address/{address_id}")
    assert response.status_code == 200, response.text
    return response.json()


async def test_get_or_create_answers_201_then_200(client: httpx.AsyncClient, unique: str) -> None:
    first = await client.post("/address", json=address(f" Raw.Orders {unique}"))
    again = await client.post("/address", json=address(f"raw.orders {unique}"))

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    stored = await get_address(client, first.json()["id"])
    assert stored["name"] == f"raw.orders {unique}"
    assert len(stored["input_hash"]) == 64
    address_type = (await client.get(f"/address_type/{stored['address_type_id']}")).json()
    assert (address_type["name"], address_type["group_name"]) == ("postgres", "database")


async def test_database_names_are_split(client: httpx.AsyncClient, unique: str) -> None:
    table = await get_address(
        client, await create_address(client, f"Warehouse.Sales_{unique}.Orders")
    )
    assert (table["database_name"], table["schema_name"], table["table_name"]) == (
        "warehouse",
        f"sales_{unique}",
        "orders",
    )

    as_file = await get_address(
        client,
        await create_address(
            client,
            f"bucket.{unique}.csv",
            address_type_name=f"gcs {unique}",
            address_type_group_name="file",
            table_name="Kept As Sent",
        ),
    )
    assert as_file["database_name"] is None
    assert as_file["table_name"] == "Kept As Sent"
    two_parts = await get_address(client, await create_address(client, f"schema.t{unique}"))
    assert two_parts["table_name"] is None


async def test_changed_fields_are_applied_and_nulls_never_wipe(
    client: httpx.AsyncClient, unique: str
) -> None:
    name = f"orders {unique}"
    address_id = await create_address(client, name, primary_key="id", address_metadata={"a": 1})
    await create_address(client, name, primary_key="id", address_metadata={"a": 1})
    assert (await get_address(client, address_id))["updated_at"] is None

    await create_address(
        client,
        name,
        address_type_name=f"snowflake {unique}",
        address_metadata={"owner": "core"},
        primary_key=None,
    )
    stored = await get_address(client, address_id)
    assert stored["address_metadata"] == {"owner": "core"}
    assert stored["primary_key"] == "id"
    assert stored["updated_at"] is not None
    type_name = (await client.get(f"/address_type/{stored['address_type_id']}")).json()["name"]
    assert type_name == f"snowflake {unique}"


async def test_patch_changes_any_field(client: httpx.AsyncClient, unique: str) -> None:
    address_id = await create_address(client, f"p {unique}", address_metadata={"a": 1})
    other_type = (
        await client.post("/address_type", json={"name": f"looker {unique}", "group_name": "bi"})
    ).json()["id"]

    by_id = await client.patch(
        "/address",
        json={
            "id": address_id,
            "name": f"Renamed {unique}",
            "address_metadata": {"b": 2},
            "primary_key": "order_id",
            "address_type_id": other_type,
        },
    )
    assert by_id.status_code == 200
    body = by_id.json()
    assert body["name"] == f"renamed {unique}"
    assert (body["address_metadata"], body["primary_key"]) == ({"b": 2}, "order_id")
    assert body["address_type_id"] == other_type

    by_name = await client.patch(
        "/address",
        json={
            "name": f"renamed {unique}",
            "address_metadata": None,
            "address_type_name": "postgres",
        },
    )
    assert by_name.json()["address_metadata"] is None
    assert by_name.json()["primary_key"] == "order_id"


async def test_patch_errors(client: httpx.AsyncClient, unique: str) -> None:
    a = await create_address(client, f"a {unique}")
    b = await create_address(client, f"b {unique}")

    assert (await client.patch("/address", json={"primary_key": "x"})).status_code == 422
    assert (await client.patch("/address", json={"id": 987654321})).status_code == 404
    assert (await client.patch("/address", json={"name": f"ghost {unique}"})).status_code == 404
    assert (
        await client.patch("/address", json={"id": b, "name": f"a {unique}"})
    ).status_code == 409
    missing_type = await client.patch("/address", json={"id": a, "address_type_id": 987654321})
    assert missing_type.status_code == 404
    unknown_type = await client.patch(
        "/address", json={"id": a, "address_type_name": f"nope {unique}"}
    )
    assert unknown_type.status_code == 404
    both = await client.patch(
        "/address", json={"id": a, "address_type_id": 1, "address_type_name": "postgres"}
    )
    assert both.status_code == 422
    assert (await get_address(client, b))["name"] == f"b {unique}"


async def test_bad_input_is_422(client: httpx.AsyncClient, unique: str) -> None:
    for body in (
        {"name": f"x {unique}", "address_type_name": "t"},
        address("x" * 151),
        address(f"nul {unique}", address_metadata={"k": "\u0000"}),
        address(f"long {unique}", primary_key="k" * 151),
    ):
        response = await client.post("/address", json=body)
        assert response.status_code == 422, body
    assert (await client.get("/address/987654321")).status_code == 404
    assert (await client.get("/address/0")).status_code == 422


async def test_list_pages(client: httpx.AsyncClient, unique: str) -> None:
    ids = [await create_address(client, f"list {i} {unique}") for i in range(3)]
    listed = (await client.get("/address", params={"limit": 10_000})).json()
    assert set(ids) <= {row["id"] for row in listed}
    assert (await client.get("/address", params={"limit": 2, "offset": 1})).json() == listed[1:3]


async def test_concurrent_first_posts_create_one_address(
    client: httpx.AsyncClient, unique: str
) -> None:
    body = address(f"race {unique}", address_type_name=f"race type {unique}")
    await assert_one_created(client, "/address", body)


async def test_an_address_renamed_after_it_beat_our_insert_is_created_again(
    client: httpx.AsyncClient, settings: Settings, unique: str
) -> None:
    """Our insert meets the address another call just created, which is renamed before our
    lookup: the name is free again, so this call creates the address."""
    await create_address(client, f"first {unique}")  # the type exists: no wait on its insert
    body = address(f"renamed {unique}")
    await assert_created_after_a_rename(client, settings, "address", "/address", body)
