"""What access control costs: the start→end lifecycle with API keys required (a write key in
every request) against keys off, two Watcher processes on one PostgreSQL database, measured in
interleaved rounds. Run alone with `python -m bench.auth [--smoke]`.
"""

import httpx

from bench.harness import Context, Dataset, Target, data, main, workloads
from watcher_server.auth import tokens


def run(ctx: Context) -> None:
    dataset = Dataset(ctx.options.pipelines, ctx.options.executions)
    workload = workloads.lifecycle(dataset.pipeline_ids)
    admin = tokens.generate()
    required = {"WATCHER_AUTH": "required", "WATCHER_BOOTSTRAP_ADMIN_KEY": admin}
    with ctx.postgres("auth") as url:
        data.load(url, dataset)
        with (
            ctx.watcher(url, {"WATCHER_AUTH": "off"}) as keys_off,
            ctx.watcher(url, required) as keys_required,
        ):
            token = _write_key(keys_required.url, admin)
            ctx.compare(
                f"lifecycle, c=16, {dataset.pipelines:,} pipelines: API keys required vs off",
                [
                    ctx.cell("keys off", keys_off, workload),
                    ctx.cell("keys required", keys_required, workloads.with_key(workload, token)),
                ],
                [Target("keys required", must=0.95)],
                unit="lifecycles/s",
            )


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


if __name__ == "__main__":
    main(run)
