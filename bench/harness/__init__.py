"""The benchmark harness: everything a scenario module needs, in one import.

from bench.harness import Context, Target, main, workloads

def run(ctx: Context) -> None:
    with ctx.postgres("mine") as url, ctx.baseline(url) as base, ctx.watcher(url) as w:
        ctx.compare("health", [ctx.cell("baseline", base, workloads.get("/hello")),
                               ctx.cell("watcher", w, workloads.get("/health"))],
                    [Target("watcher", must=0.6)])

if __name__ == "__main__":
    main(run)
"""

from bench.harness import data
from bench.harness import load as workloads
from bench.harness.background import in_background
from bench.harness.compare import Cell, Comparison, Target
from bench.harness.context import Context, Options, main
from bench.harness.data import Dataset
from bench.harness.load import Measurement, Workload
from bench.harness.report import Record
from bench.harness.stats import median, percentile

__all__ = [
    "Cell",
    "Comparison",
    "Context",
    "Dataset",
    "Measurement",
    "Options",
    "Record",
    "Target",
    "Workload",
    "data",
    "in_background",
    "main",
    "median",
    "percentile",
    "workloads",
]
