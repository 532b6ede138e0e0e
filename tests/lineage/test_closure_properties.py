"""The closure table equals a breadth-first search over the current edges after every write:
random sequences of lineage replacements by several pipelines over a few addresses (so that
shortcuts, diamonds, cycles and shared edges all occur), and concurrent writers."""

import asyncio
import random
import uuid

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import create_address, create_pipeline, post_lineage
from tests.lineage.reference import Edge, bfs_closure
from tests.lineage.tables import read_closure
from watcher_server.db import Database

ADDRESSES = 5
PIPELINES = 3

side = st.frozensets(st.integers(0, ADDRESSES - 1), max_size=3)
write = st.tuples(st.integers(0, PIPELINES - 1), side, side)


async def _graph(client: httpx.AsyncClient, tag: str, pipelines: int) -> tuple[list, list, list]:
    names = [f"node {i} {tag}" for i in range(ADDRESSES)]
    ids = [await create_address(client, name) for name in names]
    pipeline_ids = [await create_pipeline(client, f"writer {i} {tag}") for i in range(pipelines)]
    return names, ids, pipeline_ids


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(writes=st.lists(write, min_size=1, max_size=10))
async def test_closure_matches_a_search_after_every_write(
    client: httpx.AsyncClient, database: Database, writes: list
) -> None:
    names, ids, pipelines = await _graph(client, uuid.uuid4().hex[:10], PIPELINES)
    declared: dict[int, set[Edge]] = {pipeline: set() for pipeline in pipelines}

    for which, sources, targets in writes:
        pipeline = pipelines[which]
        response = await post_lineage(
            client, pipeline, [names[i] for i in sorted(sources)], [names[i] for i in targets]
        )
        assert response.status_code == 201, response.text
        declared[pipeline] = {(ids[s], ids[t]) for s in sources for t in targets}

        expected = bfs_closure(set().union(*declared.values()))
        assert await read_closure(database, ids) == expected


async def test_concurrent_writers_sharing_addresses(
    client: httpx.AsyncClient, database: Database, unique: str
) -> None:
    names, ids, pipelines = await _graph(client, unique, 8)
    declared: dict[int, set[Edge]] = {pipeline: set() for pipeline in pipelines}
    rng = random.Random(unique)

    for _ in range(3):
        batch = {
            pipeline: (rng.sample(range(ADDRESSES), 2), rng.sample(range(ADDRESSES), 2))
            for pipeline in pipelines
        }
        responses = await asyncio.gather(
            *(
                post_lineage(client, pipeline, [names[i] for i in s], [names[i] for i in t])
                for pipeline, (s, t) in batch.items()
            )
        )
        assert [response.status_code for response in responses] == [201] * len(pipelines)
        for pipeline, (sources, targets) in batch.items():
            declared[pipeline] = {(ids[s], ids[t]) for s in sources for t in targets}
        assert await read_closure(database, ids) == bfs_closure(set().union(*declared.values()))
