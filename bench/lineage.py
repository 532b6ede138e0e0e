"""Lineage benchmark: graph queries and lineage writes on a large layered graph, on PostgreSQL.

    python bench/lineage.py --edges 10000
    python bench/lineage.py --edges 100000 --hub-caps 10000 --json results.json

Creates a throw-away database on the server named by --server (or WATCHER_BENCH_POSTGRES_URL),
migrates it, bulk-loads a random layered graph in SQL (8 layers of edges/16 addresses; every
address of a layer feeds about 2.3 of the next; one pipeline per target address declares its
incoming edges) plus a hub address feeding every address of the first layer, builds the
closure, and then measures through the application (in process, JSON included):

- GET /lineage/{id} for typical addresses (middle layers) and for the hub, at the default depth
  and with depth=all, under the default caps (and, with --hub-caps, the hub under other node
  caps);
- POST /address_lineage adding one new edge (a new pipeline each time), re-sending it
  unchanged, and removing it again.

Targets (issue 3): graph p95 <= 20 ms typical, <= 300 ms hub; adding an edge p95 <= 50 ms, and
at 100,000 edges no more than twice the figure at 10,000. The database is dropped at the end.
"""

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from watcher_server.app import create_app
from watcher_server.common.digest import config_digest
from watcher_server.db import migrate
from watcher_server.db.url import parse_database_url
from watcher_server.settings import Settings

LAYERS = 8
CANDIDATES = 3  # candidate targets per address in the next layer
KEEP = 0.762  # probability each candidate is kept: ~2.3 edges per address
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
TARGETS_MS = {"typical": 20.0, "hub": 300.0, "add edge": 50.0}


@dataclass(frozen=True)
class Graph:
    per_layer: int  # addresses per layer; ids 1 … LAYERS * per_layer, then the hub

    @property
    def hub(self) -> int:
        return LAYERS * self.per_layer + 1

    def layer(self, index: int) -> range:
        return range(index * self.per_layer + 1, (index + 1) * self.per_layer + 1)


# --- loading -------------------------------------------------------------------------------
# Statements with {placeholders} for the sizes below (integers and one probability).

LOAD_STATEMENTS = [
    "SET session_replication_role = replica",  # bulk load: no per-row FK triggers
    "SELECT setseed(0.42)",
    "INSERT INTO address_type (name, group_name) VALUES ('postgres', 'database')",
    "INSERT INTO pipeline_type (name) VALUES ('transformation')",
    # Names, parts and digest as POST /address would store them, so that declaring these
    # addresses in a lineage finds them unchanged.
    """INSERT INTO address (id, name, address_type_id, database_name, schema_name, table_name,
                            input_hash)
       SELECT n, 'warehouse.layer' || ((n - 1) / {per_layer}) || '.table_' || n, 1,
              'warehouse', 'layer' || ((n - 1) / {per_layer}), 'table_' || n, '{digest}'
       FROM generate_series(1, {addresses}) AS n""",
    """INSERT INTO address (id, name, address_type_id, database_name, schema_name, table_name,
                            input_hash)
       VALUES ({hub}, 'hub.source.everything', 1, 'hub', 'source', 'everything', '{digest}')""",
    """CREATE TEMP TABLE edge AS
       SELECT DISTINCT s AS source, (((s - 1) / {per_layer}) + 1) * {per_layer} + 1
              + floor(random() * {per_layer})::int AS target
       FROM generate_series(1, {addresses} - {per_layer}) AS s,
            generate_series(1, {candidates}) AS k
       WHERE random() < {keep}
       UNION ALL SELECT {hub}, n FROM generate_series(1, {per_layer}) AS n""",
    # One pipeline per target address, declaring every edge into it.
    """INSERT INTO pipeline (id, name, pipeline_type_id, load_lineage, input_hash)
       SELECT target, 'load_' || target, 1, true, 'bench' FROM edge GROUP BY target""",
    """INSERT INTO address_lineage (pipeline_id, source_address_id, target_address_id)
       SELECT target, source, target FROM edge""",
    """INSERT INTO address_lineage_closure (source_address_id, target_address_id, depth)
       WITH RECURSIVE walk(source, target, depth) AS (
           SELECT source, target, 1 FROM edge
           UNION SELECT walk.source, edge.target, walk.depth + 1
           FROM walk JOIN edge ON edge.source = walk.target)
       SELECT source, target, min(depth) FROM walk GROUP BY source, target""",
    "SELECT setval(pg_get_serial_sequence('address', 'id'), (SELECT max(id) FROM address))",
    "SELECT setval(pg_get_serial_sequence('pipeline', 'id'), (SELECT max(id) FROM pipeline))",
    "SET session_replication_role = origin",
]


async def load(url: str, graph: Graph) -> dict[str, Any]:
    params = {
        "per_layer": graph.per_layer,
        "addresses": LAYERS * graph.per_layer,
        "hub": graph.hub,
        "candidates": CANDIDATES,
        "keep": KEEP,
        "digest": config_digest(
            {"address_type_name": "postgres", "address_type_group_name": "database"}
        ),
    }
    engine = create_async_engine(url)
    started = time.perf_counter()
    async with engine.begin() as conn:
        for statement in LOAD_STATEMENTS:
            # Only numbers computed here are formatted in; nothing comes from outside.
            await conn.execute(text(statement.format(**params)))
    loaded = time.perf_counter() - started
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE"))
        await conn.execute(text("CHECKPOINT"))  # the load's writes are not measured later
        facts = await _facts(conn, graph)
    await engine.dispose()
    return {**facts, "load_seconds": round(loaded, 1)}


async def _facts(conn: AsyncConnection, graph: Graph) -> dict[str, Any]:
    async def scalar(sql: str) -> Any:
        return (await conn.execute(text(sql))).scalar()

    return {
        "addresses": await scalar("SELECT count(*) FROM address"),
        "edges": await scalar("SELECT count(*) FROM address_lineage"),
        "pipelines": await scalar("SELECT count(*) FROM pipeline"),
        "closure_rows": await scalar("SELECT count(*) FROM address_lineage_closure"),
        "closure_mb": round(
            await scalar("SELECT pg_total_relation_size('address_lineage_closure')") / 2**20
        ),
        "hub_descendants": await scalar(
            f"SELECT count(*) FROM address_lineage_closure WHERE source_address_id = {graph.hub}"
        ),
    }


# --- measuring ------------------------------------------------------------------------------


def summary(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(p95, 2),
        "max_ms": round(ordered[-1], 2),
    }


async def timed(call: Awaitable[httpx.Response], expect: int) -> float:
    """Milliseconds `call` takes (a coroutine does nothing until awaited)."""
    started = time.perf_counter()
    response = await call
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != expect:
        raise RuntimeError(f"{response.status_code}: {response.text[:300]}")
    return elapsed


async def graph_queries(
    client: httpx.AsyncClient, graph: Graph, rng: random.Random, samples: int, hub_only: str = ""
) -> dict[str, Any]:
    """p50/p95 of GET /lineage for middle-layer addresses and for the hub; with `hub_only`,
    just the hub cases, labelled with it."""
    middle = [*graph.layer(3), *graph.layer(4)]
    cases = [
        ("typical, depth 1", lambda: rng.choice(middle), {}),
        ("typical, depth all", lambda: rng.choice(middle), {"depth": "all"}),
        ("hub, depth 1", lambda: graph.hub, {}),
        ("hub, depth all", lambda: graph.hub, {"depth": "all"}),
    ]
    results: dict[str, Any] = {}
    for label, pick, params in cases:
        if hub_only and not label.startswith("hub"):
            continue
        count = samples if label.startswith("typical") else max(10, samples // 5)
        warm_up = count // 10 + 2
        times, response = [], None
        for i in range(warm_up + count):
            started = time.perf_counter()
            response = await client.get(f"/lineage/{pick()}", params=params)
            elapsed = (time.perf_counter() - started) * 1000
            response.raise_for_status()
            if i >= warm_up:
                times.append(elapsed)
        last = response.json()
        results[f"{label}{hub_only}"] = {
            **summary(times),
            "nodes": len(last["nodes"]),
            "edges": len(last["edges"]),
            "truncated": last["truncated"],
            "bytes": len(response.content),
        }
    return results


async def lineage_writes(
    client: httpx.AsyncClient, graph: Graph, rng: random.Random, samples: int
) -> dict[str, Any]:
    """One new edge from a layer-3 address to a layer-4 one, by a pipeline of its own."""
    add, resend, remove = [], [], []
    tag = uuid.uuid4().hex[:8]
    for i in range(samples + 2):
        pipeline = await client.post(
            "/pipeline", json={"name": f"bench {tag} {i}", "pipeline_type_name": "bench"}
        )
        pipeline_id = pipeline.json()["id"]
        source = f"warehouse.layer3.table_{rng.choice(graph.layer(3))}"
        target = f"warehouse.layer4.table_{rng.choice(graph.layer(4))}"

        times = (
            await timed(_post_lineage(client, pipeline_id, [source], [target]), 201),
            await timed(_post_lineage(client, pipeline_id, [source], [target]), 201),
            await timed(_post_lineage(client, pipeline_id, [source], []), 201),
        )
        if i >= 2:  # two warm-up rounds
            add.append(times[0])
            resend.append(times[1])
            remove.append(times[2])
    return {
        "add edge": summary(add),
        "re-send unchanged": summary(resend),
        "remove edge": summary(remove),
    }


async def _post_lineage(
    client: httpx.AsyncClient, pipeline_id: int, sources: list[str], targets: list[str]
) -> httpx.Response:
    return await client.post(
        "/address_lineage",
        json={
            "pipeline_id": pipeline_id,
            "source_addresses": [_address(name) for name in sources],
            "target_addresses": [_address(name) for name in targets],
        },
    )


def _address(name: str) -> dict[str, str]:
    return {"name": name, "address_type_name": "postgres", "address_type_group_name": "database"}


# --- running --------------------------------------------------------------------------------


async def measure(options: argparse.Namespace) -> dict[str, Any]:
    graph = Graph(per_layer=max(10, round(options.edges / 16)))
    admin = parse_database_url(options.server).render_as_string(hide_password=False)
    name = f"watcher_bench_lineage_{uuid.uuid4().hex[:8]}"
    await _admin(admin, f'CREATE DATABASE "{name}"')
    url = (
        parse_database_url(options.server).set(database=name).render_as_string(hide_password=False)
    )
    try:
        await asyncio.to_thread(migrate.upgrade, url)
        facts = await load(url, graph)
        print(f"loaded: {json.dumps(facts)}", file=sys.stderr)
        settings = Settings(_env_file=None, database_url=url)
        rng = random.Random(7)
        async with _client(settings) as client:
            queries = await graph_queries(client, graph, rng, options.samples)
            writes = await lineage_writes(client, graph, rng, options.samples)
        for cap in options.hub_caps:
            capped = settings.model_copy(update={"watcher_lineage_max_nodes": cap})
            async with _client(capped) as client:
                queries |= await graph_queries(
                    client, graph, rng, options.samples, hub_only=f" (cap {cap})"
                )
        return {
            "scenario": "lineage",
            "load_average_at_end": os.getloadavg(),
            "requested_edges": options.edges,
            "graph": facts,
            "caps": {
                "max_depth": settings.watcher_lineage_max_depth,
                "max_nodes": settings.watcher_lineage_max_nodes,
            },
            "queries": queries,
            "writes": writes,
        }
    finally:
        if not options.keep:
            await _admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            print(f"kept database {name}", file=sys.stderr)


@asynccontextmanager
async def _client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on an in-process app (no network: the figures are the app's own)."""
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=60
        ) as client,
    ):
        yield client


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


def report(result: dict[str, Any]) -> str:
    graph = result["graph"]
    load = ", ".join(f"{value:.1f}" for value in result["load_average_at_end"])
    lines = [
        f"lineage @ {graph['edges']:,} edges, {graph['addresses']:,} addresses, "
        f"closure {graph['closure_rows']:,} rows ({graph['closure_mb']} MB), "
        f"hub reaches {graph['hub_descendants']:,}; load average {load} on {os.cpu_count()} CPUs",
        f"{'case':<28}{'p50 ms':>9}{'p95 ms':>9}{'target':>9}  detail",
    ]
    for label, row in {**result["queries"], **result["writes"]}.items():
        kind = "hub" if label.startswith("hub") else label.split(",")[0]
        target = TARGETS_MS.get(kind)
        verdict = "" if target is None else ("ok" if row["p95_ms"] <= target else "MISSED")
        detail = (
            f"{row['nodes']} nodes, {row['edges']} edges, {row['bytes'] / 1024:.0f} KiB"
            + (", truncated" if row["truncated"] else "")
            if "nodes" in row
            else ""
        )
        target_text = f"{target:.0f}" if target else "-"
        lines.append(
            f"{label:<28}{row['p50_ms']:>9.2f}{row['p95_ms']:>9.2f}{target_text:>9}  "
            f"{verdict} {detail}".rstrip()
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--edges", type=int, default=10_000, help="about this many edges")
    parser.add_argument("--samples", type=int, default=100, help="timed calls per case")
    parser.add_argument(
        "--server",
        default=os.environ.get("WATCHER_BENCH_POSTGRES_URL", DEFAULT_SERVER),
        help="PostgreSQL server to create the throw-away database on",
    )
    parser.add_argument(
        "--hub-caps",
        type=lambda text: [int(cap) for cap in text.split(",") if cap],
        default=[],
        help="also measure the hub with these WATCHER_LINEAGE_MAX_NODES, e.g. 10000,50000",
    )
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    options = parser.parse_args()
    result = asyncio.run(measure(options))
    print(report(result))
    if options.json:
        with open(options.json, "w") as out:
            json.dump(result, out, indent=2)


if __name__ == "__main__":
    main()
