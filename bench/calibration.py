"""What the harness can tell apart: the same Watcher compared with itself.

Both cells run identical code and settings (background jobs off, as in every comparison of
two servers: bench/harness/servers.py says why), so any ratio away from 1.00x is the harness's
own error: once with two long-lived server processes, once with a fresh process per cell and
round (`Context.fresh_cell`, what the comparisons of two configurations use). Run alone with
`python -m bench.calibration`.
"""

from bench.harness import Context, Dataset, Target, data, main, server_cpu, workloads
from bench.harness.servers import JOBS_OFF

# An A/A comparison passes when the harness reads it within this of 1.00x.
TOLERANCE = 0.03


def run(ctx: Context) -> None:
    dataset = Dataset(ctx.options.pipelines, ctx.options.executions)
    workload = workloads.lifecycle(dataset.pipeline_ids)
    target = Target("B", must=1 - TOLERANCE)
    with ctx.postgres("calibration") as url:
        data.load(url, dataset)
        with ctx.watcher(url, JOBS_OFF) as a, ctx.watcher(url, JOBS_OFF) as b:
            name = "A/A, lifecycle, c=16, two long-lived processes"
            comparison = ctx.compare(
                name,
                [ctx.cell("A", a, workload), ctx.cell("B", b, workload)],
                [target],
                unit="lifecycles/s",
            )
            ctx.record(server_cpu.record(comparison, "A", "B"))
        comparison = ctx.compare(
            "A/A, lifecycle, c=16, a fresh process per round",
            [
                ctx.fresh_cell(label, lambda: ctx.watcher(url, JOBS_OFF), workload)
                for label in ("A", "B")
            ],
            [target],
            unit="lifecycles/s",
        )
        ctx.record(server_cpu.record(comparison, "A", "B"))


if __name__ == "__main__":
    main(run)
