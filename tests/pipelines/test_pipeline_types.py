import httpx

from tests.races import (
    assert_created_after_a_rename,
    assert_one_created,
    post_while_taken_and_freed,
)
from watcher_server.settings import Settings


async def test_get_or_create_answers_201_then_200_with_the_same_id(
    client: httpx.AsyncClient, unique: str
) -> None:
    body = {"name": f"Audit {unique}", "freshness_number": 10, "freshness_datepart": "hour"}
    first = await client.post("/pipeline_type", json=body)
    second = await client.post("/pipeline_type", json={"name": f"  AUDIT {unique} "})

    assert first.status_code == 201
    assert second.status_code == 200
    assert first.json() == second.json()
    stored = (await client.get(f"/pipeline_type/{first.json()['id']}")).json()
    assert stored["name"] == f"audit {unique}"
    assert (stored["freshness_number"], stored["freshness_datepart"]) == (10, "hour")
    assert stored["mute_freshness_check"] is False


async def test_patch_by_id_renames_and_by_name_changes_settings(
    client: httpx.AsyncClient, unique: str
) -> None:
    type_id = (await client.post("/pipeline_type", json={"name": f"t {unique}"})).json()["id"]

    renamed = await client.patch("/pipeline_type", json={"id": type_id, "name": f"T2 {unique}"})
    assert renamed.status_code == 200
    assert renamed.json()["name"] == f"t2 {unique}"

    changed = await client.patch(
        "/pipeline_type",
        json={
            "name": f"t2 {unique}",
            "timeliness_number": 30,
            "timeliness_datepart": "MINUTE",
            "mute_timeliness_check": True,
        },
    )
    assert changed.status_code == 200
    body = changed.json()
    assert (body["timeliness_number"], body["timeliness_datepart"]) == (30, "minute")
    assert body["mute_timeliness_check"] is True
    assert body["updated_at"] is not None


async def test_patch_needs_id_or_name_and_a_known_type(client: httpx.AsyncClient) -> None:
    missing_key = await client.patch("/pipeline_type", json={"mute_freshness_check": True})
    assert missing_key.status_code == 422
    assert "Either 'id' or 'name' must be provided" in missing_key.json()["message"]

    unknown = await client.patch("/pipeline_type", json={"id": 987654321, "name": "x"})
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "NOT_FOUND"


async def test_rename_onto_an_existing_name_is_a_conflict(
    client: httpx.AsyncClient, unique: str
) -> None:
    await client.post("/pipeline_type", json={"name": f"a {unique}"})
    b = (await client.post("/pipeline_type", json={"name": f"b {unique}"})).json()["id"]

    response = await client.patch("/pipeline_type", json={"id": b, "name": f"a {unique}"})

    assert response.status_code == 409
    assert (await client.get(f"/pipeline_type/{b}")).json()["name"] == f"b {unique}"


async def test_half_a_threshold_pair_is_rejected(client: httpx.AsyncClient, unique: str) -> None:
    response = await client.post(
        "/pipeline_type", json={"name": f"half {unique}", "freshness_number": 3}
    )
    assert response.status_code == 422
    assert "freshness_number and freshness_datepart" in response.json()["message"]

    type_id = (await client.post("/pipeline_type", json={"name": f"half {unique}"})).json()["id"]
    patch = await client.patch("/pipeline_type", json={"id": type_id, "timeliness_datepart": "day"})
    assert patch.status_code == 422


async def test_unknown_type_id_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/pipeline_type/999999999")
    assert response.status_code == 404
    assert response.json()["message"] == "pipeline type 999999999 not found"


async def test_list_is_an_array_and_pages(client: httpx.AsyncClient, unique: str) -> None:
    for index in range(3):
        await client.post("/pipeline_type", json={"name": f"list {unique} {index}"})

    everything = (await client.get("/pipeline_type")).json()
    names = [row["name"] for row in everything]
    assert {f"list {unique} {i}" for i in range(3)} <= set(names)

    page = (await client.get("/pipeline_type", params={"limit": 1, "offset": 1})).json()
    assert page == everything[1:2]
    assert (await client.get("/pipeline_type", params={"limit": 0})).status_code == 422


async def test_concurrent_first_posts_create_one_type(
    client: httpx.AsyncClient, unique: str
) -> None:
    await assert_one_created(client, "/pipeline_type", {"name": f"race {unique}"})


async def test_a_type_renamed_after_it_beat_our_insert_is_created_again(
    client: httpx.AsyncClient, settings: Settings, unique: str
) -> None:
    """Our insert meets the type another call just created, which is renamed before our lookup:
    the name is free again, so this call creates the type."""
    body = {"name": f"renamed {unique}"}
    await assert_created_after_a_rename(client, settings, "pipeline_type", "/pipeline_type", body)


async def test_a_name_that_keeps_being_taken_and_freed_is_a_409_to_retry(
    client: httpx.AsyncClient, settings: Settings, unique: str
) -> None:
    body = {"name": f"churn {unique}"}
    response, _ = await post_while_taken_and_freed(
        client, settings, "pipeline_type", "/pipeline_type", body, laps=10
    )

    assert response.status_code == 409, response.text
    assert "retry" in response.json()["message"]
