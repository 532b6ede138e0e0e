"""The server's CPU time per lifecycle of each cell: a figure that other work on the machine
disturbs far less than the rate, recorded beside a comparison."""

import statistics
from collections import defaultdict

from bench.harness.compare import Cell
from bench.harness.cpu import process_tree_seconds
from bench.harness.load import Measurement
from bench.harness.report import Record
from bench.harness.servers import Server


class ServerCpu:
    """Wraps cells so that each round also notes its server's CPU milliseconds per lifecycle
    (the server's processes, workers included); `record` reports the medians."""

    def __init__(self) -> None:
        self.spent: dict[str, list[float]] = defaultdict(list)

    def cell(self, cell: Cell, server: Server) -> Cell:
        def measure() -> Measurement:
            before = process_tree_seconds(server.pid)
            measurement = cell.measure()
            used_ms = (process_tree_seconds(server.pid) - before) * 1000
            self.spent[cell.label].append(used_ms / max(measurement.lifecycles or 0, 1))
            return measurement

        return Cell(cell.label, measure, cell.warmup)

    def record(self, name: str, reference: str, measured: str) -> Record:
        """The medians per cell and the ratio reference / measured (above 1: `measured` costs
        more CPU per lifecycle)."""
        costs = {label: statistics.median(values) for label, values in self.spent.items()}
        ratio = costs[reference] / costs[measured]
        return Record(
            f"{name}: server CPU ms per lifecycle (median of rounds)",
            {**{label: round(ms, 3) for label, ms in costs.items()}, "ratio": round(ratio, 3)},
            target=f"{reference}'s CPU / {measured}'s, informative",
        )
