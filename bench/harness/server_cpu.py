"""The server's CPU time per lifecycle of each cell: a figure that other work on the machine
disturbs far less than the rate, recorded beside a comparison."""

from bench.harness.compare import Comparison
from bench.harness.report import Record
from bench.harness.stats import median


def record(comparison: Comparison, reference: str, measured: str) -> Record:
    """The median over kept rounds of each cell's server CPU milliseconds per lifecycle (its
    processes, workers included), and the ratio reference / measured (below 1: `measured`
    costs more CPU per lifecycle)."""
    costs = {
        label: median(
            [
                m.server_cpu_seconds * 1000 / max(m.lifecycles or 0, 1)
                for m in comparison.kept_measurements(label)
                if m.server_cpu_seconds is not None
            ]
        )
        for label in (reference, measured)
    }
    return Record(
        f"{comparison.name}: server CPU ms per lifecycle (median of rounds)",
        {
            **{label: round(ms, 3) for label, ms in costs.items()},
            "ratio": round(costs[reference] / costs[measured], 3),
        },
        target=f"{reference}'s CPU / {measured}'s, informative",
    )
