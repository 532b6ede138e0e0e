import httpx

from tests.races import assert_created_after_a_rename, assert_one_created
from watcher_server.settings import Settings


async def test_get_or_create_answers_201_then_200(client: httpx.AsyncClient, unique: str) -> None:
    body = {"name": f"  Postgres {unique}", "group_name": "DataBase"}
    first = await client.post("/address_type", json=body)
    again = await client.post("/address_type", json={**body, "group_name": "elsewhere"})

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    stored = (await client.get(f"/address_type/{first.json()['id']}")).json()
    assert (stored["name"], stored["group_name"]) == (f"postgres {unique}", "database")


async def test_patch_by_id_or_name(client: httpx.AsyncClient, unique: str) -> None:
    type_id = (
        await client.post("/address_type", json={"name": f"iam {unique}", "group_name": "db"})
    ).json()["id"]

    renamed = await client.patch("/address_type", json={"id": type_id, "name": f"IAM2 {unique}"})
    assert renamed.status_code == 200
    assert renamed.json()["name"] == f"iam2 {unique}"
    regrouped = await client.patch(
        "/address_type", json={"name": f"iam2 {unique}", "group_name": "External"}
    )
    assert regrouped.json()["group_name"] == "external"
    assert regrouped.json()["updated_at"] is not None


async def test_patch_errors(client: httpx.AsyncClient, unique: str) -> None:
    a = (await client.post("/address_type", json={"name": f"a {unique}", "group_name": "g"})).json()
    b = (await client.post("/address_type", json={"name": f"b {unique}", "group_name": "g"})).json()

    assert (await client.patch("/address_type", json={"group_name": "g"})).status_code == 422
    assert (await client.patch("/address_type", json={"id": 987654321})).status_code == 404
    missing = await client.patch("/address_type", json={"name": f"ghost {unique}"})
    assert missing.status_code == 404
    clash = await client.patch("/address_type", json={"id": b["id"], "name": f"a {unique}"})
    assert clash.status_code == 409
    null_group = await client.patch("/address_type", json={"id": a["id"], "group_name": None})
    assert null_group.json()["group_name"] == "g"


async def test_unknown_type_is_404_and_list_pages(client: httpx.AsyncClient, unique: str) -> None:
    assert (await client.get("/address_type/987654321")).status_code == 404
    ids = [
        (
            await client.post("/address_type", json={"name": f"l{i} {unique}", "group_name": "g"})
        ).json()["id"]
        for i in range(3)
    ]
    listed = (await client.get("/address_type", params={"limit": 10_000})).json()
    assert set(ids) <= {row["id"] for row in listed}
    assert (await client.get("/address_type", params={"limit": 2, "offset": 1})).json() == listed[
        1:3
    ]


async def test_concurrent_first_posts_create_one_type(
    client: httpx.AsyncClient, unique: str
) -> None:
    await assert_one_created(client, "/address_type", {"name": f"race {unique}", "group_name": "g"})


async def test_a_type_renamed_after_it_beat_our_insert_is_created_again(
    client: httpx.AsyncClient, settings: Settings, unique: str
) -> None:
    """Our insert meets the type another call just created, which is renamed before our lookup:
    the name is free again, so this call creates the type."""
    body = {"name": f"renamed {unique}", "group_name": "g"}
    await assert_created_after_a_rename(client, settings, "address_type", "/address_type", body)
