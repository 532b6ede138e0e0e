"""Watcher against itself, same lifecycle load on PostgreSQL: `watcher serve --workers 2` vs
one worker, and metrics on (the default) vs WATCHER_METRICS=false.

On a 2-core machine the second worker shares the cores with PostgreSQL and the load
generator, so less than twice the rate is expected. Run alone with `python -m bench.observability`.
"""

from bench.harness import Context, Dataset, Target, data, main, workloads


def run(ctx: Context) -> None:
    dataset = Dataset(ctx.options.pipelines, ctx.options.executions)
    workload = workloads.lifecycle(dataset.pipeline_ids)
    with ctx.postgres("observability") as url:
        data.load(url, dataset)
        with (
            ctx.watcher(url, {"WATCHER_WORKERS": "1"}) as one,
            ctx.watcher(url, {"WATCHER_WORKERS": "2"}) as two,
        ):
            ctx.compare(
                "lifecycle, c=16, 2 workers vs 1",
                [ctx.cell("1 worker", one, workload), ctx.cell("2 workers", two, workload)],
                [Target("2 workers", must=1.0, goal=1.3)],
                unit="lifecycles/s",
            )
        with (
            ctx.watcher(url, {"WATCHER_METRICS": "false"}) as off,
            ctx.watcher(url, {"WATCHER_METRICS": "true"}) as on,
        ):
            ctx.compare(
                "lifecycle, c=16, metrics on vs off",
                [ctx.cell("metrics off", off, workload), ctx.cell("metrics on", on, workload)],
                [Target("metrics on", must=0.95)],
                unit="lifecycles/s",
            )


if __name__ == "__main__":
    main(run)
