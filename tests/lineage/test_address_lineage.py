import asyncio

import httpx
import pytest

from tests.factories import address, create_address, create_pipeline, post_lineage
from tests.lineage.reference import bfs_closure
from tests.lineage.tables import read_closure, read_edges
from tests.races import post_while_taken_and_freed
from watcher_server.db import Database
from watcher_server.settings import Settings


@pytest.fixture
async def pipeline_id(client: httpx.AsyncClient, unique: str) -> int:
    return await create_pipeline(client, f"lineage {unique}")


async def names_to_ids(client: httpx.AsyncClient, *names: str) -> list[int]:
    return [await create_address(client, name) for name in names]


async def test_every_source_feeds_every_target(
    client: httpx.AsyncClient, database: Database, pipeline_id: int, unique: str
) -> None:
    a, b, c, d = (f"{letter} {unique}" for letter in "abcd")
    response = await post_lineage(client, pipeline_id, [a, b], [c, d])

    assert response.status_code == 201
    assert response.json() == {
        "pipeline_id": pipeline_id,
        "lineage_relationships_created": 4,
        "message": f"lineage relationships created for pipeline {pipeline_id}",
    }
    ia, ib, ic, id_ = await names_to_ids(client, a, b, c, d)
    expected = {(ia, ic), (ia, id_), (ib, ic), (ib, id_)}
    assert await read_edges(database, [pipeline_id]) == {(pipeline_id, e) for e in expected}
    assert await read_closure(database, [ia, ib]) == dict.fromkeys(expected, 1)


async def test_the_seed_shape_is_accepted(
    client: httpx.AsyncClient, pipeline_id: int, unique: str
) -> None:
    seed_address = {"address_type_name": "postgres", "address_type_group_name": "database"}
    response = await client.post(
        "/address_lineage",
        json={
            "pipeline_id": pipeline_id,
            "source_addresses": [{"address_name": f"Source {unique}", **seed_address}],
            "target_addresses": [{"address_name": f"Target {unique}", **seed_address}],
        },
    )
    assert response.status_code == 201
    source, target = await names_to_ids(client, f"source {unique}", f"target {unique}")

    rows = (await client.get(f"/address_lineage/{source}")).json()
    assert rows == [
        {
            "source_address_id": source,
            "target_address_id": target,
            "depth": 1,
            "source_address_name": f"source {unique}",
            "target_address_name": f"target {unique}",
        }
    ]


async def test_head_shape_fields_are_stored(
    client: httpx.AsyncClient, pipeline_id: int, unique: str
) -> None:
    target = address(f"Mart.Sales.Orders_{unique}", primary_key="id", address_metadata={"t": 1})
    response = await post_lineage(client, pipeline_id, [f"src {unique}"], [target])
    assert response.status_code == 201

    (target_id,) = await names_to_ids(client, f"mart.sales.orders_{unique}")
    stored = (await client.get(f"/address/{target_id}")).json()
    assert stored["table_name"] == f"orders_{unique}"
    assert (stored["primary_key"], stored["address_metadata"]) == ("id", {"t": 1})


async def test_a_new_lineage_replaces_the_old_one(
    client: httpx.AsyncClient, database: Database, pipeline_id: int, unique: str
) -> None:
    a, b, c = (f"{letter} {unique}" for letter in "abc")
    await post_lineage(client, pipeline_id, [a], [b])
    await post_lineage(client, pipeline_id, [b], [c])
    ia, ib, ic = await names_to_ids(client, a, b, c)

    assert await read_edges(database, [pipeline_id]) == {(pipeline_id, (ib, ic))}
    assert await read_closure(database, [ia, ib, ic]) == {(ib, ic): 1}
    assert (await client.get(f"/address_lineage/{ia}")).json() == []


async def test_empty_lists_remove_the_pipelines_edges(
    client: httpx.AsyncClient, database: Database, pipeline_id: int, unique: str
) -> None:
    a, b = f"a {unique}", f"b {unique}"
    await post_lineage(client, pipeline_id, [a], [b])
    response = await post_lineage(client, pipeline_id, [a], [])

    assert response.status_code == 201
    assert response.json()["lineage_relationships_created"] == 0
    assert await read_edges(database, [pipeline_id]) == set()
    assert await read_closure(database, await names_to_ids(client, a, b)) == {}
    assert (await post_lineage(client, pipeline_id, [], [])).status_code == 201


async def test_an_edge_carried_by_two_pipelines_stays_until_both_drop_it(
    client: httpx.AsyncClient, database: Database, unique: str
) -> None:
    first = await create_pipeline(client, f"first {unique}")
    second = await create_pipeline(client, f"second {unique}")
    a, b, c = (f"{letter} {unique}" for letter in "abc")
    assert (await post_lineage(client, first, [a], [b])).status_code == 201
    assert (await post_lineage(client, second, [a], [b, c])).status_code == 201
    ia, ib, ic = await names_to_ids(client, a, b, c)

    await post_lineage(client, first, [a], [])
    assert await read_closure(database, [ia]) == {(ia, ib): 1, (ia, ic): 1}
    await post_lineage(client, second, [a], [c])
    assert await read_closure(database, [ia]) == {(ia, ic): 1}


async def test_shortcut_diamond_and_cycle(
    client: httpx.AsyncClient, database: Database, unique: str
) -> None:
    """a → b → d, a → c → d (diamond), a → d (shortcut), d → a (cycle), e → e (self-loop)."""
    a, b, c, d, e = (f"{letter} {unique}" for letter in "abcde")
    pipelines = [await create_pipeline(client, f"p{i} {unique}") for i in range(5)]
    declared = [([a], [b, c, d]), ([b, c], [d]), ([d], [a]), ([e], [e]), ([a, e], [a])]
    for pipeline, (sources, targets) in zip(pipelines, declared, strict=True):
        assert (await post_lineage(client, pipeline, sources, targets)).status_code == 201
    ia, ib, ic, id_, ie = ids = await names_to_ids(client, a, b, c, d, e)
    edges = {(ia, ib), (ia, ic), (ia, id_), (ib, id_), (ic, id_), (id_, ia), (ie, ie), (ia, ia)}
    edges.add((ie, ia))

    closure = await read_closure(database, ids)
    assert closure == bfs_closure(edges)
    assert closure[(ia, ia)] == 1  # the self-loop a → a beats the cycle a → d → a
    assert closure[(ie, id_)] == 2  # e → a → d

    await post_lineage(client, pipelines[4], [e], [a])  # drops a → a
    await post_lineage(client, pipelines[0], [a], [b, c])  # drops the shortcut
    edges -= {(ia, ia), (ia, id_)}
    closure = await read_closure(database, ids)
    assert closure == bfs_closure(edges)
    assert (closure[(ia, id_)], closure[(ia, ia)], closure[(ie, id_)]) == (2, 3, 3)


async def test_resending_the_same_lineage_changes_nothing(
    client: httpx.AsyncClient, database: Database, pipeline_id: int, unique: str
) -> None:
    a_id = await create_address(client, f"a {unique}", address_metadata={"k": 1})
    a, b = address(f"a {unique}", address_metadata={"k": 1}), f"b {unique}"
    await post_lineage(client, pipeline_id, [a], [b])
    before = await read_edges(database, [pipeline_id])
    again = await post_lineage(client, pipeline_id, [a], [b])

    assert again.status_code == 201
    assert again.json()["lineage_relationships_created"] == 1
    assert await read_edges(database, [pipeline_id]) == before
    assert (await client.get(f"/address/{a_id}")).json()["updated_at"] is None


async def test_an_address_renamed_after_it_beat_our_insert_is_created_again(
    client: httpx.AsyncClient, settings: Settings, database: Database, pipeline_id: int, unique: str
) -> None:
    """The lineage's insert of a new source meets the address another call just created, which
    is renamed before the lineage looks it up: the lineage creates the source."""
    source, target = f"a {unique}", f"b {unique}"
    target_id = await create_address(client, target)  # existing and unchanged: not inserted
    body = {
        "pipeline_id": pipeline_id,
        "source_addresses": [address(source)],
        "target_addresses": [address(target)],
    }

    async def rename(address_id: int) -> httpx.Response:
        return await client.patch("/address", json={"id": address_id, "name": f"old {unique}"})

    response, theirs = await post_while_taken_and_freed(
        client,
        settings,
        "address",
        "/address_lineage",
        body,
        take=lambda: create_address(client, source),
        free=rename,
    )

    assert response.status_code == 201, response.text
    [(_, (source_id, edge_target))] = await read_edges(database, [pipeline_id])
    assert edge_target == target_id
    assert source_id != theirs[0]
    assert (await client.get(f"/address/{source_id}")).json()["name"] == source


async def test_concurrent_lineages_and_posts_create_each_address_once(
    client: httpx.AsyncClient, database: Database, unique: str
) -> None:
    """Lineages of several pipelines and POST /address calls that declare the same new
    addresses, of a new type, at the same time: every call succeeds, each address exists once."""
    declared = [address(f"shared {i} {unique}", address_type_name=unique) for i in range(3)]
    pipelines = [await create_pipeline(client, f"writer {i} {unique}") for i in range(5)]
    posts = [client.post("/address", json=body) for body in declared for _ in range(4)]
    lineages = [post_lineage(client, p, declared[:1], declared[1:]) for p in pipelines]

    responses = await asyncio.gather(*posts, *lineages)

    assert {r.status_code for r in responses} <= {200, 201}, [r.text for r in responses]
    listed = (await client.get("/address", params={"limit": 10_000})).json()
    mine = [row for row in listed if row["name"].endswith(unique)]
    ids = {row["name"]: row["id"] for row in mine}
    assert len(mine) == len(ids) == 3
    for index, body in enumerate(declared):
        answered = {r.json()["id"] for r in responses[index * 4 : index * 4 + 4]}
        assert answered == {ids[body["name"]]}
    source, *targets = (ids[body["name"]] for body in declared)
    edges = {(p, (source, target)) for p in pipelines for target in targets}
    assert await read_edges(database, pipelines) == edges


async def test_without_load_lineage_nothing_is_written(
    client: httpx.AsyncClient, database: Database, unique: str
) -> None:
    pipeline_id = await create_pipeline(client, f"off {unique}", load_lineage=False)
    response = await post_lineage(client, pipeline_id, [f"a {unique}"], [f"b {unique}"])

    assert response.status_code == 200
    assert response.json() == {
        "pipeline_id": pipeline_id,
        "lineage_relationships_created": 0,
        "message": f"pipeline {pipeline_id} does not have load_lineage=true. "
        "no lineage relationships created.",
    }
    assert await read_edges(database, [pipeline_id]) == set()
    assert (await client.post("/address", json=address(f"a {unique}"))).status_code == 201


async def test_bad_lineage_requests(
    client: httpx.AsyncClient, pipeline_id: int, unique: str
) -> None:
    missing = await post_lineage(client, 987654321, [f"a {unique}"], [f"b {unique}"])
    assert missing.status_code == 404

    contradictory = await post_lineage(
        client,
        pipeline_id,
        [address(f"a {unique}", primary_key="id")],
        [address(f"A {unique}", primary_key="key")],
    )
    assert contradictory.status_code == 422
    assert "primary_key" in contradictory.json()["message"]

    too_many = await post_lineage(
        client,
        pipeline_id,
        [f"s{i} {unique}" for i in range(101)],
        [f"t{i} {unique}" for i in range(100)],
    )
    assert too_many.status_code == 422
    assert "10000" in too_many.json()["message"]

    no_targets = await client.post(
        "/address_lineage", json={"pipeline_id": pipeline_id, "source_addresses": []}
    )
    assert no_targets.status_code == 422
    bad_address = await post_lineage(client, pipeline_id, [{"name": f"x {unique}"}], [])
    assert bad_address.status_code == 422


async def test_closure_rows_of_an_address(
    client: httpx.AsyncClient, pipeline_id: int, unique: str
) -> None:
    a, b, c = (f"{letter} {unique}" for letter in "abc")
    other = await create_pipeline(client, f"other {unique}")
    await post_lineage(client, pipeline_id, [a], [b])
    await post_lineage(client, other, [b], [c])
    ia, ib, ic = await names_to_ids(client, a, b, c)

    rows = (await client.get(f"/address_lineage/{ib}")).json()
    assert [(r["source_address_id"], r["target_address_id"], r["depth"]) for r in rows] == [
        (ia, ib, 1),
        (ib, ic, 1),
    ]
    deepest_first = (await client.get(f"/address_lineage/{ia}")).json()
    assert [r["depth"] for r in deepest_first] == [2, 1]
    paged = await client.get(f"/address_lineage/{ia}", params={"limit": 1, "offset": 1})
    assert paged.json() == deepest_first[1:]
    assert (await client.get("/address_lineage/987654321")).status_code == 404
