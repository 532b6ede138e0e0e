"""Interleaved rounds, unstable-round rejection, ratios and target verdicts.

A comparison measures each of its cells once per round, for several rounds, so that drift on
a shared machine hits every cell alike. Every other round takes the cells in reverse order:
a cell measured right after another inherits its wake (the rows it added, the vacuum and
checkpoint they set off). A round is discarded when the baseline's figure in it is more than
UNSTABLE_DEVIATION away from the median of the baseline's figures over all rounds: the
machine, not the code, changed then. Ratios are the median, over the kept rounds, of each
round's cell ÷ reference figure.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from bench.harness.load import Measurement
from bench.harness.stats import median, relative_deviation

UNSTABLE_DEVIATION = 0.15


@dataclass
class Cell:
    """One thing measured in every round, e.g. "Watcher, lifecycle, c=16"."""

    label: str
    measure: Callable[[], Measurement]
    warmup: Callable[[], object] | None = None  # run once, before the first round's measure


@dataclass(frozen=True)
class Target:
    """What `cell` must reach: a ratio to `of` (default: the baseline) and absolute limits."""

    cell: str
    must: float | None = None
    goal: float | None = None
    of: str | None = None
    min_rate: float | None = None
    max_p99_ms: float | None = None
    no_failures: bool = True

    def describe(self, baseline: str, unit: str) -> str:
        parts = []
        if self.must is not None:
            goal = f" (goal {self.goal:.2f}x)" if self.goal is not None else ""
            parts.append(f"≥ {self.must:.2f}x {self.of or baseline}{goal}")
        if self.min_rate is not None:
            parts.append(f"≥ {self.min_rate:,.0f} {unit}")
        if self.max_p99_ms is not None:
            parts.append(f"p99 ≤ {self.max_p99_ms:g} ms")
        if self.no_failures:
            parts.append("no non-2xx")
        return ", ".join(parts)


@dataclass
class Verdict:
    target: Target
    ratio: float | None
    outcome: str  # "goal", "pass" or "miss"
    reasons: list[str] = field(default_factory=list)


def kept_rounds(baseline_rates: list[float]) -> list[int]:
    """Indexes of the rounds whose baseline is within UNSTABLE_DEVIATION of the median.

    When no round qualifies (two rounds far apart), every round is kept: the comparison is
    then marked unstable rather than left without figures.
    """
    if not baseline_rates:
        return []
    middle = median(baseline_rates)
    kept = [
        index
        for index, rate in enumerate(baseline_rates)
        if relative_deviation(rate, middle) <= UNSTABLE_DEVIATION
    ]
    return kept or list(range(len(baseline_rates)))


def interleave(
    cells: list[Cell], rounds: int, progress: Callable[[int, Cell, Measurement], None]
) -> dict[str, list[Measurement]]:
    """Measure every cell once per round, `rounds` times: in order in even rounds, in reverse
    in odd ones."""
    results: dict[str, list[Measurement]] = {cell.label: [] for cell in cells}
    for round_index in range(rounds):
        for cell in cells if round_index % 2 == 0 else cells[::-1]:
            if round_index == 0 and cell.warmup is not None:
                cell.warmup()
            measurement = cell.measure()
            results[cell.label].append(measurement)
            progress(round_index, cell, measurement)
    return results


@dataclass
class Comparison:
    """The measurements of one comparison and what follows from them."""

    name: str
    unit: str
    results: dict[str, list[Measurement]]
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def baseline(self) -> str:
        return next(iter(self.results))

    @property
    def kept(self) -> list[int]:
        return kept_rounds([m.rate for m in self.results[self.baseline]])

    @property
    def discarded(self) -> list[int]:
        return [i for i in range(len(self.results[self.baseline])) if i not in self.kept]

    @property
    def unstable(self) -> bool:
        rates = [m.rate for m in self.results[self.baseline]]
        return any(relative_deviation(rate, median(rates)) > UNSTABLE_DEVIATION for rate in rates)

    def kept_measurements(self, label: str) -> list[Measurement]:
        return [self.results[label][i] for i in self.kept]

    def median_of(self, label: str, attribute: str) -> float:
        return median([getattr(m, attribute) for m in self.kept_measurements(label)])

    def ratio(self, label: str, of: str | None = None) -> float | None:
        """Median over kept rounds of this cell's figure ÷ the reference's in the same round."""
        reference = self.kept_measurements(of or self.baseline)
        ratios = [
            m.rate / ref.rate
            for m, ref in zip(self.kept_measurements(label), reference, strict=True)
            if ref.rate > 0
        ]
        return median(ratios) if ratios else None

    def failures(self, label: str) -> int:
        return sum(m.failures for m in self.results[label])

    def verdicts(self) -> list[Verdict]:
        return [self._verdict(target) for target in self.targets]

    def _verdict(self, target: Target) -> Verdict:
        reasons = []
        ratio = self.ratio(target.cell, target.of) if target.must is not None else None
        if target.must is not None and (ratio is None or ratio < target.must):
            reasons.append(f"ratio {_fmt(ratio)} < {target.must:.2f}")
        rate = self.median_of(target.cell, "rate")
        if target.min_rate is not None and rate < target.min_rate:
            reasons.append(f"{rate:,.0f} {self.unit} < {target.min_rate:,.0f}")
        p99 = self.median_of(target.cell, "p99_ms")
        if target.max_p99_ms is not None and p99 > target.max_p99_ms:
            reasons.append(f"p99 {p99:.1f} ms > {target.max_p99_ms:g} ms")
        if target.no_failures and self.failures(target.cell):
            reasons.append(f"{self.failures(target.cell)} non-2xx or socket errors")
        if reasons:
            return Verdict(target, ratio, "miss", reasons)
        reached_goal = target.goal is None or (ratio is not None and ratio >= target.goal)
        return Verdict(target, ratio, "goal" if reached_goal and target.goal else "pass")


def _fmt(ratio: float | None) -> str:
    return "n/a" if ratio is None else f"{ratio:.2f}"
