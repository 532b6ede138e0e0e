"""Watcher on SQLite (the `make run` default) against Watcher on PostgreSQL, same lifecycle load.

The reference here is Watcher on PostgreSQL; the aiosqlite reference app is measured too, to
show how close Watcher gets to SQLite's own limit. Run alone with `python -m bench.sqlite`.
"""

from bench.harness import Context, Dataset, Target, data, main, workloads


def run(ctx: Context) -> None:
    dataset = Dataset(ctx.options.pipelines, ctx.options.executions)
    workload = workloads.lifecycle(dataset.pipeline_ids)
    with ctx.postgres("sqlite_vs_pg") as postgres_url, ctx.sqlite("sqlite") as sqlite_url:
        data.load(postgres_url, dataset)
        data.load(sqlite_url, dataset)
        with (
            ctx.watcher(postgres_url) as on_postgres,
            ctx.watcher(sqlite_url) as on_sqlite,
            ctx.baseline(sqlite_url) as baseline_sqlite,
        ):
            ctx.compare(
                "lifecycle, c=16, SQLite vs PostgreSQL",
                [
                    ctx.cell("watcher, PostgreSQL", on_postgres, workload),
                    ctx.cell("watcher, SQLite", on_sqlite, workload),
                    ctx.cell("baseline, SQLite", baseline_sqlite, workload),
                ],
                [Target("watcher, SQLite", must=0.50, goal=0.80, max_p99_ms=100)],
                unit="lifecycles/s",
            )


if __name__ == "__main__":
    main(run)
