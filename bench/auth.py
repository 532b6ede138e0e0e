"""What access control costs: the start→end lifecycle with API keys required (a write key in
every request) against keys off.

Two measures on PostgreSQL. The precise one: both apps in one process, alternated lifecycle
by lifecycle, CPU per lifecycle compared (bench/harness/in_process.py). And as users run it:
two `watcher serve` processes under wrk in interleaved rounds, whose ratio is only as good as
the harness's resolution (bench/calibration.py). Run alone with `python -m bench.auth
[--smoke]`.
"""

import asyncio

import httpx
from pydantic import SecretStr

from bench.harness import Context, Dataset, Record, Target, data, main, server_cpu, workloads
from bench.harness.in_process import alternate, post, record_ratio, running
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
        ctx.record(asyncio.run(_in_process(url, 300 if ctx.options.smoke else 4000)))
        with ctx.watcher(url, off) as keys_off, ctx.watcher(url, required) as keys_required:
            token = _write_key(keys_required.url, admin)
            comparison = ctx.compare(
                f"lifecycle, c=16, {dataset.pipelines:,} pipelines: API keys required vs off",
                [
                    ctx.cell("keys off", keys_off, workload),
                    ctx.cell("keys required", keys_required, workloads.with_key(workload, token)),
                ],
                [Target("keys required", must=MIN_RATIO)],
                unit="lifecycles/s",
            )
        ctx.record(server_cpu.record(comparison, "keys off", "keys required"))


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
    """Median CPU of a lifecycle through an app with keys off and one with keys required."""
    admin = tokens.generate()
    settings = Settings(_env_file=None, database_url=url, watcher_background_jobs=False)
    off = create_app(settings.model_copy(update={"watcher_auth": "off"}))
    on = create_app(
        settings.model_copy(
            update={"watcher_auth": "required", "watcher_bootstrap_admin_key": SecretStr(admin)}
        )
    )
    async with running(off, on):
        admin_headers = [(b"authorization", f"Bearer {admin}".encode())]
        key = await post(on, "/api_key", {"name": "in_process", "scope": "write"}, admin_headers)
        body = {"name": "auth_bench", "pipeline_type_name": "bench"}
        pipeline = await post(on, "/pipeline", body, admin_headers)
        write_headers = [(b"authorization", f"Bearer {key['token']}".encode())]
        sides = {"keys off": (off, []), "keys required": (on, write_headers)}
        medians = await alternate(sides, pipeline["id"], lifecycles)
    name = f"in process, PostgreSQL: {lifecycles:,} lifecycles, API keys required vs off"
    return record_ratio(name, medians, MIN_RATIO)


if __name__ == "__main__":
    main(run)
