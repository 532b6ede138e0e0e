"""Watcher against itself, same lifecycle load on PostgreSQL: `watcher serve --workers 2` vs
one worker, and metrics on (the default) vs WATCHER_METRICS=false.

On a 2-core machine the second worker shares the cores with PostgreSQL and the load
generator, so less than twice the rate is expected. Each comparison also records the server's
CPU time per lifecycle (its processes, workers included), which other work on the machine
disturbs far less than the rate. Run alone with `python -m bench.observability`.
"""

from collections.abc import Mapping

from bench.harness import Context, Dataset, Target, data, main, workloads
from bench.harness.load import Workload
from bench.harness.server_cpu import ServerCpu


def run(ctx: Context) -> None:
    dataset = Dataset(ctx.options.pipelines, ctx.options.executions)
    workload = workloads.lifecycle(dataset.pipeline_ids)
    with ctx.postgres("observability") as url:
        data.load(url, dataset)
        versus(
            ctx,
            url,
            workload,
            ("1 worker", {"WATCHER_WORKERS": "1"}),
            ("2 workers", {"WATCHER_WORKERS": "2"}),
            Target("2 workers", must=1.0, goal=1.3),
        )
        versus(
            ctx,
            url,
            workload,
            ("metrics off", {"WATCHER_METRICS": "false"}),
            ("metrics on", {"WATCHER_METRICS": "true"}),
            Target("metrics on", must=0.95),
        )


def versus(
    ctx: Context,
    url: str,
    workload: Workload,
    reference: tuple[str, Mapping[str, str]],
    measured: tuple[str, Mapping[str, str]],
    target: Target,
) -> None:
    """Two Watcher servers that differ by their environment, compared under `workload`: the
    rate, and the server CPU each lifecycle cost."""
    name = f"lifecycle, c=16, {measured[0]} vs {reference[0]}"
    cpu = ServerCpu()
    with ctx.watcher(url, reference[1]) as first, ctx.watcher(url, measured[1]) as second:
        ctx.compare(
            name,
            [
                cpu.cell(ctx.cell(reference[0], first, workload), first),
                cpu.cell(ctx.cell(measured[0], second, workload), second),
            ],
            [target],
            unit="lifecycles/s",
        )
    ctx.record(cpu.record(name, reference[0], measured[0]))


if __name__ == "__main__":
    main(run)
