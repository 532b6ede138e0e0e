"""What the harness can tell apart: the same Watcher compared with itself.

Both sides run identical code and settings, so any ratio away from 1.00x is the measure's own
error. Served: two `watcher serve` processes under wrk in interleaved rounds (background jobs
off, as in every comparison of two servers: bench/harness/servers.py says why). In process:
two apps alternated lifecycle by lifecycle (bench/harness/in_process.py), the measure that
decides a few per cent. Run alone with `python -m bench.calibration`.
"""

import asyncio

from bench.harness import Context, Dataset, Record, Target, data, main, server_cpu, workloads
from bench.harness.in_process import alternate, post, record_ratio, running
from bench.harness.servers import JOBS_OFF
from watcher_server.app import create_app
from watcher_server.settings import Settings

# An A/A comparison passes when it reads within this of 1.00x.
TOLERANCE = 0.03


def run(ctx: Context) -> None:
    dataset = Dataset(ctx.options.pipelines, ctx.options.executions)
    workload = workloads.lifecycle(dataset.pipeline_ids)
    with ctx.postgres("calibration") as url:
        data.load(url, dataset)
        ctx.record(asyncio.run(_in_process(url, 300 if ctx.options.smoke else 4000)))
        with ctx.watcher(url, JOBS_OFF) as a, ctx.watcher(url, JOBS_OFF) as b:
            comparison = ctx.compare(
                "A/A, lifecycle, c=16, two identical servers",
                [ctx.cell("A", a, workload), ctx.cell("B", b, workload)],
                [Target("B", must=1 - TOLERANCE)],
                unit="lifecycles/s",
            )
        ctx.record(server_cpu.record(comparison, "A", "B"))


async def _in_process(url: str, lifecycles: int) -> Record:
    settings = Settings(_env_file=None, database_url=url, watcher_background_jobs=False)
    a, b = create_app(settings), create_app(settings)
    async with running(a, b):
        pipeline = await post(a, "/pipeline", {"name": "calibration", "pipeline_type_name": "b"})
        medians = await alternate({"A": (a, []), "B": (b, [])}, pipeline["id"], lifecycles)
    name = f"A/A in process, PostgreSQL: {lifecycles:,} lifecycles, two identical apps"
    return record_ratio(name, medians, 1 - TOLERANCE, 1 + TOLERANCE)


if __name__ == "__main__":
    main(run)
