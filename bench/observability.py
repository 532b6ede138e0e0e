"""Watcher against itself, same lifecycle load on PostgreSQL: `watcher serve --workers 2` vs
one worker, and metrics on (the default) vs WATCHER_METRICS=false.

On a 2-core machine the second worker shares the cores with PostgreSQL and the load
generator, so less than twice the rate is expected. Each comparison also records the server's
CPU time per lifecycle (its processes, workers included), which other work on the machine
disturbs far less than the rate. Metrics are also measured in process (bench/
_metrics_in_process.py), alternated lifecycle by lifecycle. Run alone with
`python -m bench.observability`.
"""

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping

from bench.harness import Context, Dataset, Record, Target, data, main, server_cpu, workloads
from bench.harness.in_process import record_ratio
from bench.harness.load import Workload
from bench.harness.servers import JOBS_OFF, REPO_ROOT

MIN_METRICS_RATIO = 0.95


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
            Target("metrics on", must=MIN_METRICS_RATIO),
        )
        ctx.record(_metrics_in_process(url, 300 if ctx.options.smoke else 4000))


def versus(
    ctx: Context,
    url: str,
    workload: Workload,
    reference: tuple[str, Mapping[str, str]],
    measured: tuple[str, Mapping[str, str]],
    target: Target,
) -> None:
    """Two Watcher servers that differ by their environment, background jobs off in both,
    compared under `workload`: the rate, and the server CPU each lifecycle cost."""
    with (
        ctx.watcher(url, {**reference[1], **JOBS_OFF}) as first,
        ctx.watcher(url, {**measured[1], **JOBS_OFF}) as second,
    ):
        comparison = ctx.compare(
            f"lifecycle, c=16, {measured[0]} vs {reference[0]}",
            [ctx.cell(reference[0], first, workload), ctx.cell(measured[0], second, workload)],
            [target],
            unit="lifecycles/s",
        )
    ctx.record(server_cpu.record(comparison, reference[0], measured[0]))


def _metrics_in_process(url: str, lifecycles: int) -> Record:
    """Median CPU of a lifecycle with metrics off and on, in a child process with its own
    metrics directory (prometheus_client reads it when first imported)."""
    with tempfile.TemporaryDirectory(prefix="bench-metrics-") as directory:
        child = subprocess.run(
            [sys.executable, "-m", "bench._metrics_in_process", url, str(lifecycles)],
            env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": directory},
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    medians = json.loads(child.stdout.splitlines()[-1])
    name = f"in process, PostgreSQL: {lifecycles:,} lifecycles, metrics on vs off"
    return record_ratio(name, medians, MIN_METRICS_RATIO)


if __name__ == "__main__":
    main(run)
