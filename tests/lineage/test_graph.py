import httpx
import pytest

from tests.conftest import app_client
from tests.factories import create_address, create_pipeline, post_lineage
from watcher_server.lineage.schemas import LineageGraph
from watcher_server.settings import Settings


async def chain(client: httpx.AsyncClient, unique: str, length: int) -> tuple[list[int], int]:
    """n0 → n1 → … declared by one pipeline per edge; the ids and the last pipeline."""
    names = [f"n{i} {unique}" for i in range(length)]
    pipeline = 0
    for i in range(length - 1):
        pipeline = await create_pipeline(client, f"chain {i} {unique}")
        assert (await post_lineage(client, pipeline, [names[i]], [names[i + 1]])).status_code == 201
    return [await create_address(client, name) for name in names], pipeline


def distances(graph: dict) -> dict[int, int]:
    return {node["id"]: node["distance"] for node in graph["nodes"]}


def edge_pairs(graph: dict) -> list[tuple[int, int]]:
    return [(edge["source"], edge["target"]) for edge in graph["edges"]]


async def test_default_is_one_step_both_ways(client: httpx.AsyncClient, unique: str) -> None:
    ids, _ = await chain(client, unique, 4)
    response = await client.get(f"/lineage/{ids[1]}")

    assert response.status_code == 200
    graph = response.json()
    assert LineageGraph.model_validate(graph).model_dump() == graph  # the documented shape
    assert (graph["direction"], graph["depth"], graph["truncated"]) == ("both", 1, False)
    assert graph["nodes"][0] == {
        "id": ids[1],
        "name": f"n1 {unique}",
        "type": "postgres",
        "group": "database",
        "distance": 0,
    }
    assert distances(graph) == {ids[1]: 0, ids[0]: 1, ids[2]: 1}
    assert edge_pairs(graph) == sorted([(ids[0], ids[1]), (ids[1], ids[2])])


async def test_directions_and_depth_all(client: httpx.AsyncClient, unique: str) -> None:
    ids, _ = await chain(client, unique, 5)

    down = (await client.get(f"/lineage/{ids[1]}?direction=downstream&depth=all")).json()
    assert distances(down) == {ids[1]: 0, ids[2]: 1, ids[3]: 2, ids[4]: 3}
    assert edge_pairs(down) == [(ids[i], ids[i + 1]) for i in range(1, 4)]
    assert down["truncated"] is False

    up = (
        await client.get(f"/lineage/{ids[3]}", params={"direction": "upstream", "depth": 2})
    ).json()
    assert distances(up) == {ids[3]: 0, ids[2]: 1, ids[1]: 2}
    assert edge_pairs(up) == [(ids[1], ids[2]), (ids[2], ids[3])]


async def test_edges_list_every_pipeline_carrying_them(
    client: httpx.AsyncClient, unique: str
) -> None:
    first = await create_pipeline(client, f"first {unique}", pipeline_type_name=f"t {unique}")
    second = await create_pipeline(client, f"second {unique}")
    for pipeline in (first, second):
        await post_lineage(client, pipeline, [f"a {unique}"], [f"b {unique}"])
    await client.patch("/pipeline", json={"id": second, "active": False})
    a = await create_address(client, f"a {unique}")

    graph = (await client.get(f"/lineage/{a}")).json()
    assert graph["edges"][0]["pipelines"] == [
        {"id": first, "name": f"first {unique}", "type": f"t {unique}", "active": True},
        {"id": second, "name": f"second {unique}", "type": "extraction", "active": False},
    ]


async def test_cycles_end_and_keep_the_shortest_distance(
    client: httpx.AsyncClient, unique: str
) -> None:
    a, b, c = (f"{letter} {unique}" for letter in "abc")
    pipeline = await create_pipeline(client, f"cycle {unique}")
    other = await create_pipeline(client, f"back {unique}")
    await post_lineage(client, pipeline, [a], [b])
    await post_lineage(client, other, [b, c], [c, a])  # b → c, c → c, b → a, c → a
    ia, ib, ic = [await create_address(client, name) for name in (a, b, c)]

    graph = (await client.get(f"/lineage/{ia}", params={"depth": "all"})).json()
    assert distances(graph) == {ia: 0, ib: 1, ic: 1}  # c is a's parent and grandchild
    assert edge_pairs(graph) == sorted([(ia, ib), (ib, ia), (ib, ic), (ic, ia), (ic, ic)])


async def test_caps_truncate_clearly(settings: Settings, unique: str) -> None:
    capped = settings.model_copy(
        update={"watcher_lineage_max_depth": 2, "watcher_lineage_max_nodes": 3}
    )
    async with app_client(capped) as client:
        ids, _ = await chain(client, unique, 4)
        deep = (await client.get(f"/lineage/{ids[0]}?direction=downstream&depth=all")).json()
        assert (deep["depth"], deep["truncated"]) == (2, True)
        assert distances(deep) == {ids[0]: 0, ids[1]: 1, ids[2]: 2}

        within = (await client.get(f"/lineage/{ids[1]}?direction=downstream&depth=9")).json()
        assert (within["depth"], within["truncated"]) == (2, False)

        wide = (await client.get(f"/lineage/{ids[1]}", params={"depth": 2})).json()
        assert wide["truncated"] is True
        assert distances(wide) == {ids[1]: 0, ids[0]: 1, ids[2]: 1}
        assert edge_pairs(wide) == [(ids[0], ids[1]), (ids[1], ids[2])]


async def test_an_address_without_lineage(client: httpx.AsyncClient, unique: str) -> None:
    alone = await create_address(client, f"alone {unique}")
    graph = (await client.get(f"/lineage/{alone}", params={"depth": "all"})).json()
    assert (graph["edges"], graph["truncated"]) == ([], False)
    assert distances(graph) == {alone: 0}


@pytest.mark.parametrize(
    "query",
    [{"depth": 0}, {"depth": "deep"}, {"depth": -1}, {"direction": "sideways"}, {"depth": 1.5}],
)
async def test_bad_queries_are_422(client: httpx.AsyncClient, query: dict, unique: str) -> None:
    alone = await create_address(client, f"q {unique}")
    assert (await client.get(f"/lineage/{alone}", params=query)).status_code == 422


async def test_unknown_address_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/lineage/987654321")
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"
