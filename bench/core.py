"""Watcher's hot path against the reference app, on PostgreSQL.

`GET /health` vs hello; `start` alone; `end` alone; the start→end lifecycle over 1,000 and over
10 pipelines at c=16 and over 1,000 at c=64; `POST /pipeline` for an existing name vs a raw
SELECT. Run alone with `python -m bench.core [--smoke]`.
"""

import math

from bench.harness import Context, Dataset, Target, data, main, workloads
from bench.harness.servers import Server

# Fresh running executions inserted before each `end` cell: enough for this many ends a second.
MAX_END_RATE = 6000
HOT_PIPELINES = 10


def run(ctx: Context) -> None:
    dataset = Dataset(ctx.options.pipelines, ctx.options.executions)
    with ctx.postgres("core") as url:
        data.load(url, dataset)
        with ctx.baseline(url) as baseline, ctx.watcher(url) as watcher:
            health(ctx, baseline, watcher)
            start(ctx, baseline, watcher, dataset)
            end(ctx, baseline, watcher, dataset, url)
            lifecycle(ctx, baseline, watcher, dataset)
            lifecycle_c64(ctx, baseline, watcher, dataset)
            sync_existing_pipeline(ctx, baseline, watcher, dataset)


def health(ctx: Context, baseline: Server, watcher: Server) -> None:
    ctx.compare(
        "GET /health vs hello",
        [
            ctx.cell("baseline", baseline, workloads.get("/hello")),
            ctx.cell("watcher", watcher, workloads.get("/health")),
        ],
        [Target("watcher", must=0.60, goal=0.80)],
    )


def start(ctx: Context, baseline: Server, watcher: Server, dataset: Dataset) -> None:
    workload = workloads.start(dataset.pipeline_ids)
    ctx.compare(
        "start alone",
        [ctx.cell("baseline", baseline, workload), ctx.cell("watcher", watcher, workload)],
        [Target("watcher", must=0.30, goal=0.45)],
    )


def end(ctx: Context, baseline: Server, watcher: Server, dataset: Dataset, url: str) -> None:
    per_cell = math.ceil(MAX_END_RATE * max(ctx.options.seconds, ctx.options.warmup))

    def fresh_runs() -> workloads.Workload:
        return workloads.end(data.add_running_executions(url, dataset.pipeline_ids, per_cell))

    ctx.compare(
        "end alone",
        [ctx.cell("baseline", baseline, fresh_runs), ctx.cell("watcher", watcher, fresh_runs)],
        [Target("watcher", must=0.25, goal=0.40)],
    )


def lifecycle(ctx: Context, baseline: Server, watcher: Server, dataset: Dataset) -> None:
    spread = workloads.lifecycle(dataset.pipeline_ids)
    hot = workloads.lifecycle(range(1, HOT_PIPELINES + 1))
    ctx.compare(
        f"lifecycle, c=16, {dataset.pipelines:,} pipelines (and {HOT_PIPELINES})",
        [
            ctx.cell("baseline", baseline, spread),
            ctx.cell("watcher", watcher, spread),
            ctx.cell(f"baseline, {HOT_PIPELINES} pipelines", baseline, hot),
            ctx.cell(f"watcher, {HOT_PIPELINES} pipelines", watcher, hot),
        ],
        [
            Target("watcher", must=0.25, goal=0.40, min_rate=300, max_p99_ms=100),
            Target(f"watcher, {HOT_PIPELINES} pipelines", of="watcher", must=0.80, goal=0.90),
        ],
        unit="lifecycles/s",
    )


def lifecycle_c64(ctx: Context, baseline: Server, watcher: Server, dataset: Dataset) -> None:
    spread = workloads.lifecycle(dataset.pipeline_ids)
    ctx.compare(
        f"lifecycle, c=64, {dataset.pipelines:,} pipelines",
        [
            ctx.cell("baseline", baseline, spread, connections=64),
            ctx.cell("watcher", watcher, spread, connections=64),
        ],
        [Target("watcher", must=0.25, goal=0.40, min_rate=300, max_p99_ms=400)],
        unit="lifecycles/s",
    )


def sync_existing_pipeline(
    ctx: Context, baseline: Server, watcher: Server, dataset: Dataset
) -> None:
    workload = workloads.sync_pipeline(
        dataset.pipeline_ids, data.PIPELINE_PREFIX, data.PIPELINE_TYPE
    )
    ctx.compare(
        "POST /pipeline, existing name vs raw SELECT",
        [ctx.cell("baseline", baseline, workload), ctx.cell("watcher", watcher, workload)],
        [Target("watcher", must=0.30)],
    )


if __name__ == "__main__":
    main(run)
