"""The run lifecycle through PgBouncer in transaction pooling against PostgreSQL directly.

Three cells, same run: Watcher straight to PostgreSQL (the reference); the same with
DATABASE_PGBOUNCER=true, which is what the setting costs by itself (no statement cache, a
transaction around every statement); and through PgBouncer, which adds the pooler's hop.
Skipped, with a message, where pgbouncer is not installed. Run alone with
`python -m bench.pgbouncer [--smoke]`.
"""

from bench.harness import Context, Dataset, Record, Target, data, main, pgbouncer, workloads

PGBOUNCER = {"DATABASE_PGBOUNCER": "true"}


def run(ctx: Context) -> None:
    if not pgbouncer.available():
        note = "skipped: pgbouncer is not installed (apt-get install -y pgbouncer)"
        print(f"bench.pgbouncer: {note}", flush=True)
        ctx.record(Record("lifecycle through PgBouncer", {}, notes=[note]))
        return
    dataset = Dataset(ctx.options.pipelines, ctx.options.executions)
    workload = workloads.lifecycle(dataset.pipeline_ids)
    with ctx.postgres("pgbouncer") as url, pgbouncer.pgbouncer(url) as through_pgbouncer:
        data.load(url, dataset)
        with (
            ctx.watcher(url) as direct,
            ctx.watcher(url, PGBOUNCER) as direct_with_setting,
            ctx.watcher(through_pgbouncer, PGBOUNCER) as pooled,
        ):
            ctx.compare(
                "lifecycle, c=16, through PgBouncer vs direct",
                [
                    ctx.cell("direct", direct, workload),
                    ctx.cell("direct, DATABASE_PGBOUNCER=true", direct_with_setting, workload),
                    ctx.cell("through PgBouncer", pooled, workload),
                ],
                [Target("through PgBouncer", must=0.50, goal=0.70)],
                unit="lifecycles/s",
            )


if __name__ == "__main__":
    main(run)
