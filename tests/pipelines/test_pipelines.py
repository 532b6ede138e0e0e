import httpx

from tests.factories import create_pipeline, end_run, get_pipeline, start_run
from tests.races import assert_created_after_a_rename, assert_one_created
from watcher_server.settings import Settings

SDK_NULLS = {
    "pipeline_metadata": None,
    "freshness_number": None,
    "freshness_datepart": None,
    "timeliness_number": None,
    "timeliness_datepart": None,
    "next_watermark": None,
}


async def test_get_or_create_answers_201_then_200(client: httpx.AsyncClient, unique: str) -> None:
    body = {"name": f"Load Orders {unique}", "pipeline_type_name": "Extraction"}
    first = await client.post("/pipeline", json=body)
    again = await client.post("/pipeline", json={**body, "name": f"  load ORDERS {unique}"})

    assert first.status_code == 201
    assert first.json() == {
        "id": first.json()["id"],
        "active": True,
        "load_lineage": True,
        "watermark": None,
    }
    assert again.status_code == 200
    assert again.json() == first.json()
    stored = await get_pipeline(client, first.json()["id"])
    assert stored["name"] == f"load orders {unique}"


async def test_pipeline_type_is_created_by_name(client: httpx.AsyncClient, unique: str) -> None:
    pipeline_id = await create_pipeline(client, f"p {unique}", pipeline_type_name=f"New {unique}")

    type_id = (await get_pipeline(client, pipeline_id))["pipeline_type_id"]
    assert (await client.get(f"/pipeline_type/{type_id}")).json()["name"] == f"new {unique}"


async def test_watermark_is_always_the_stored_one(client: httpx.AsyncClient, unique: str) -> None:
    name = f"wm {unique}"
    created = await client.post(
        "/pipeline", json={"name": name, "pipeline_type_name": "t", "next_watermark": 10}
    )
    pipeline_id = created.json()["id"]
    assert created.json()["watermark"] is None
    assert (await get_pipeline(client, pipeline_id))["next_watermark"] == "10"

    run = await start_run(client, pipeline_id)
    assert (await end_run(client, run)).status_code == 204

    # Without next_watermark the original answered null; the stored value is what a run needs.
    plain = await client.post("/pipeline", json={"name": name, "pipeline_type_name": "t"})
    assert plain.json()["watermark"] == "10"
    assert plain.json()["load_lineage"] is False
    with_next = await client.post(
        "/pipeline", json={"name": name, "pipeline_type_name": "t", "next_watermark": 12.5}
    )
    assert with_next.json()["watermark"] == "10"
    assert (await get_pipeline(client, pipeline_id))["next_watermark"] == "12.5"


async def test_watermarks_keep_their_case_and_text(client: httpx.AsyncClient, unique: str) -> None:
    stamp = "2024-01-01T00:00:00Z"
    pipeline_id = await create_pipeline(client, f"case {unique}", next_watermark=stamp)
    assert (await get_pipeline(client, pipeline_id))["next_watermark"] == stamp


async def test_changed_configuration_is_applied(client: httpx.AsyncClient, unique: str) -> None:
    name = f"cfg {unique}"
    pipeline_id = await create_pipeline(client, name)
    before = await get_pipeline(client, pipeline_id)

    response = await client.post(
        "/pipeline",
        json={
            "name": name,
            "pipeline_type_name": f"other {unique}",
            "freshness_number": 15,
            "freshness_datepart": "minute",
            "timeliness_number": 2,
            "timeliness_datepart": "hour",
            "pipeline_metadata": {"owner": "Data Team"},
        },
    )

    assert response.status_code == 200
    after = await get_pipeline(client, pipeline_id)
    assert after["pipeline_type_id"] != before["pipeline_type_id"]
    assert (after["freshness_number"], after["freshness_datepart"]) == (15, "minute")
    assert (after["timeliness_number"], after["timeliness_datepart"]) == (2, "hour")
    assert after["pipeline_metadata"] == {"owner": "Data Team"}
    assert after["updated_at"] is not None


async def test_identical_repost_changes_nothing(client: httpx.AsyncClient, unique: str) -> None:
    body = {
        "name": f"same {unique}",
        "pipeline_type_name": "t",
        "freshness_number": 1,
        "freshness_datepart": "day",
    }
    pipeline_id = (await client.post("/pipeline", json=body)).json()["id"]
    await client.post("/pipeline", json=body)
    assert (await get_pipeline(client, pipeline_id))["updated_at"] is None


async def test_explicit_nulls_never_wipe_settings(client: httpx.AsyncClient, unique: str) -> None:
    """The SDK sends every key, nulls included; a setting made by PATCH must survive that."""
    name = f"nulls {unique}"
    pipeline_id = await create_pipeline(client, name)
    patched = await client.patch(
        "/pipeline",
        json={
            "id": pipeline_id,
            "freshness_number": 6,
            "freshness_datepart": "hour",
            "pipeline_metadata": {"team": "core"},
        },
    )
    assert patched.status_code == 200

    for type_name in ("extraction", f"moved {unique}"):  # unchanged, then changed configuration
        body = {"name": name, "pipeline_type_name": type_name, **SDK_NULLS}
        assert (await client.post("/pipeline", json=body)).status_code == 200
        stored = await get_pipeline(client, pipeline_id)
        assert (stored["freshness_number"], stored["freshness_datepart"]) == (6, "hour")
        assert stored["pipeline_metadata"] == {"team": "core"}


async def test_the_config_digest_is_stable(client: httpx.AsyncClient, unique: str) -> None:
    """A SHA-256 of canonical JSON: key order and the process do not matter."""
    from watcher_server.pipelines.service import config_digest

    first = config_digest({"b": 1, "a": {"y": 2, "x": 1}})
    assert first == config_digest({"a": {"x": 1, "y": 2}, "b": 1})
    assert len(first) == 64
    pipeline_id = await create_pipeline(client, f"digest {unique}")
    assert len((await get_pipeline(client, pipeline_id))["input_hash"]) == 64


async def test_patch_finds_by_id_pipeline_id_or_name(
    client: httpx.AsyncClient, unique: str
) -> None:
    name = f"patch {unique}"
    pipeline_id = await create_pipeline(client, name)

    by_sdk_key = await client.patch(
        "/pipeline", json={"pipeline_id": pipeline_id, "next_watermark": "2025-01-01"}
    )
    assert by_sdk_key.status_code == 200
    assert by_sdk_key.json()["next_watermark"] == "2025-01-01"

    by_name = await client.patch(
        "/pipeline",
        json={
            "name": name.upper(),
            "watermark": "2024-12-31T10:00:00Z",
            "active": False,
            "load_lineage": False,
            "mute_freshness_check": True,
        },
    )
    body = by_name.json()
    assert by_name.status_code == 200
    assert body["watermark"] == "2024-12-31T10:00:00Z"
    assert (body["active"], body["load_lineage"], body["mute_freshness_check"]) == (
        False,
        False,
        True,
    )

    renamed = await client.patch("/pipeline", json={"id": pipeline_id, "name": f"Renamed {unique}"})
    assert renamed.json()["name"] == f"renamed {unique}"

    cleared = await client.patch("/pipeline", json={"id": pipeline_id, "watermark": None})
    assert cleared.json()["watermark"] is None
    assert cleared.json()["active"] is False  # untouched fields stay as they were


async def test_patch_errors(client: httpx.AsyncClient, unique: str) -> None:
    a = await create_pipeline(client, f"a {unique}")
    b = await create_pipeline(client, f"b {unique}")

    assert (await client.patch("/pipeline", json={"active": True})).status_code == 422
    assert (await client.patch("/pipeline", json={"id": 987654321})).status_code == 404
    assert (await client.patch("/pipeline", json={"name": f"ghost {unique}"})).status_code == 404
    clash = await client.patch("/pipeline", json={"id": b, "name": f"a {unique}"})
    assert clash.status_code == 409
    bad_type = await client.patch("/pipeline", json={"id": a, "pipeline_type_id": 987654321})
    assert bad_type.status_code == 404
    half = await client.patch("/pipeline", json={"id": a, "timeliness_number": 5})
    assert half.status_code == 422
    assert (await get_pipeline(client, b))["name"] == f"b {unique}"


async def test_patch_can_move_to_a_type_by_name(client: httpx.AsyncClient, unique: str) -> None:
    pipeline_id = await create_pipeline(client, f"mv {unique}")
    moved = await client.patch(
        "/pipeline", json={"id": pipeline_id, "pipeline_type_name": f"Dest {unique}"}
    )
    type_id = moved.json()["pipeline_type_id"]
    assert (await client.get(f"/pipeline_type/{type_id}")).json()["name"] == f"dest {unique}"


async def test_threshold_pairs_and_ranges(client: httpx.AsyncClient, unique: str) -> None:
    base = {"name": f"pairs {unique}", "pipeline_type_name": "t"}
    for fields in (
        {"freshness_number": 1},
        {"freshness_datepart": "hour"},
        {"timeliness_number": 1, "timeliness_datepart": None},
        {"timeliness_datepart": "minute"},
    ):
        response = await client.post("/pipeline", json={**base, **fields})
        assert response.status_code == 422, fields
        assert "must be provided together" in response.json()["message"]
    for fields in (
        {"freshness_number": 0, "freshness_datepart": "hour"},
        {"freshness_number": 1, "freshness_datepart": "fortnight"},
    ):
        assert (await client.post("/pipeline", json={**base, **fields})).status_code == 422
    complete = {
        "freshness_number": 1,
        "freshness_datepart": "YEAR",
        "timeliness_number": 3,
        "timeliness_datepart": "week",
    }
    assert (await client.post("/pipeline", json={**base, **complete})).status_code == 201


async def test_unknown_pipeline_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/pipeline/987654321")
    assert response.status_code == 404
    assert response.json() == {
        "detail": "pipeline 987654321 not found",
        "message": "pipeline 987654321 not found",
        "code": "NOT_FOUND",
    }


async def test_list_is_an_array_and_pages(client: httpx.AsyncClient, unique: str) -> None:
    ids = [await create_pipeline(client, f"list {unique} {i}") for i in range(3)]
    listed = (await client.get("/pipeline", params={"limit": 10_000})).json()
    assert set(ids) <= {row["id"] for row in listed}
    page = (await client.get("/pipeline", params={"limit": 2, "offset": 1})).json()
    assert page == listed[1:3]


async def test_concurrent_first_posts_create_one_pipeline(
    client: httpx.AsyncClient, unique: str
) -> None:
    body = {"name": f"race {unique}", "pipeline_type_name": f"race type {unique}"}
    await assert_one_created(client, "/pipeline", body, calls=50)
    listed = (await client.get("/pipeline", params={"limit": 10_000})).json()
    assert [row["name"] for row in listed].count(f"race {unique}") == 1


async def test_a_pipeline_renamed_after_it_beat_our_insert_is_created_again(
    client: httpx.AsyncClient, settings: Settings, unique: str
) -> None:
    """Our insert meets the pipeline another call just created, which is renamed before our
    lookup: the name is free again, so this call creates the pipeline."""
    await create_pipeline(client, f"first {unique}")  # the type exists: no wait on its insert
    body = {"name": f"renamed {unique}", "pipeline_type_name": "extraction"}
    await assert_created_after_a_rename(client, settings, "pipeline", "/pipeline", body)
