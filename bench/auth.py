"""What access control costs: the start→end lifecycle with API keys required (a write key in
every request) against keys off.

Two measures: `watcher serve` on one PostgreSQL database under wrk, a fresh process of each
kind in every round (bench/calibration.py says why); and, in process, one ASGI app of each
kind on one SQLite file, alternated lifecycle by lifecycle, so that a busy machine slows
both sides alike. Run alone with `python -m bench.auth [--smoke]`.
"""

import asyncio
import statistics
import time

import httpx
from pydantic import SecretStr

from bench.harness import Context, Dataset, Record, Target, data, main, server_cpu, workloads
from bench.harness.servers import JOBS_OFF
from watcher_server.app import create_app
from watcher_server.auth import tokens
from watcher_server.settings import Settings

MIN_RATIO = 0.95


def run(ctx: Context) -> None:
    dataset = Dataset(ctx.options.pipelines, ctx.options.executions)
    workload = workloads.lifecycle(dataset.pipeline_ids)
    admin = tokens.generate()
    off = {"WATCHER_AUTH": "off", **JOBS_OFF}
    required = {"WATCHER_AUTH": "required", "WATCHER_BOOTSTRAP_ADMIN_KEY": admin, **JOBS_OFF}
    with ctx.postgres("auth") as url:
        data.load(url, dataset)
        with ctx.watcher(url, required) as first:
            token = _write_key(first.url, admin)
        comparison = ctx.compare(
            f"lifecycle, c=16, {dataset.pipelines:,} pipelines: API keys required vs off",
            [
                ctx.fresh_cell("keys off", lambda: ctx.watcher(url, off), workload),
                ctx.fresh_cell(
                    "keys required",
                    lambda: ctx.watcher(url, required),
                    workloads.with_key(workload, token),
                ),
            ],
            [Target("keys required", must=MIN_RATIO)],
            unit="lifecycles/s",
        )
        ctx.record(server_cpu.record(comparison, "keys off", "keys required"))
    with ctx.sqlite("auth") as url:
        ctx.record(asyncio.run(_in_process(url, 200 if ctx.options.smoke else 3000)))


def _write_key(base_url: str, admin: str) -> str:
    """A write key's token, created through the API with the bootstrap admin key."""
    response = httpx.post(
        f"{base_url}/api_key",
        json={"name": "bench", "scope": "write"},
        headers={"Authorization": f"Bearer {admin}"},
        timeout=30,
    )
    response.raise_for_status()
    return response.json()["token"]


async def _in_process(url: str, lifecycles: int) -> Record:
    """Median time of a lifecycle through an app with keys off and one with keys required."""
    admin = tokens.generate()
    settings = Settings(_env_file=None, database_url=url, watcher_background_jobs=False)
    off = settings.model_copy(update={"watcher_auth": "off"})
    on = settings.model_copy(
        update={"watcher_auth": "required", "watcher_bootstrap_admin_key": SecretStr(admin)}
    )
    apps = [create_app(off), create_app(on)]
    clients = [
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")
        for app in apps
    ]
    seconds: list[list[float]] = [[], []]
    async with apps[0].router.lifespan_context(apps[0]), apps[1].router.lifespan_context(apps[1]):
        admin_headers = {"Authorization": f"Bearer {admin}"}
        body = {"name": "auth_bench", "pipeline_type_name": "bench"}
        pipeline = await clients[1].post("/pipeline", json=body, headers=admin_headers)
        key = await clients[1].post(
            "/api_key", json={"name": "bench", "scope": "write"}, headers=admin_headers
        )
        headers = {"Authorization": f"Bearer {key.json()['token']}"}
        for number in range(lifecycles):
            for side in (0, 1) if number % 2 else (1, 0):
                began = time.perf_counter()
                await _lifecycle(clients[side], pipeline.json()["id"], headers)
                seconds[side].append(time.perf_counter() - began)
    off_ms, on_ms = (statistics.median(times) * 1000 for times in seconds)
    ratio = off_ms / on_ms
    return Record(
        name=f"in process, SQLite: {lifecycles:,} lifecycles, API keys required vs off",
        figures={
            "keys off ms": round(off_ms, 2),
            "keys required ms": round(on_ms, 2),
            "ratio": f"{ratio:.2f}x",
        },
        target=f"≥ {MIN_RATIO:.2f}x (median lifecycle time, alternated)",
        outcome="pass" if ratio >= MIN_RATIO else "miss",
    )


async def _lifecycle(client: httpx.AsyncClient, pipeline_id: int, headers: dict) -> None:
    started = await client.post(
        "/start_pipeline_execution", json={"pipeline_id": pipeline_id}, headers=headers
    )
    started.raise_for_status()
    body = {"id": started.json()["id"], "completed_successfully": True}
    (await client.post("/end_pipeline_execution", json=body, headers=headers)).raise_for_status()


if __name__ == "__main__":
    main(run)
