"""The verdict on one value against its baseline: pure arithmetic, no database.

The band is mean ± z*stddev with stddev the *sample* standard deviation (n - 1), its lower bound
clipped at 0 (no metric is negative), and both sides count: a spike and a drop are anomalies.
"""

import enum
import math
from collections.abc import Iterable
from dataclasses import dataclass


class Outcome(enum.StrEnum):
    ANOMALY = "anomaly"
    NORMAL = "normal"
    # Fewer baseline executions than the rule's minimum_executions: no verdict.
    INSUFFICIENT_HISTORY = "insufficient_history"
    # The tested execution has no value for the metric (e.g. no total_rows reported).
    NO_VALUE = "no_value"


@dataclass(frozen=True)
class Baseline:
    """Size, mean, sum of squared deviations from the mean, and range of the baseline's values.

    The range tells a constant history exactly: a mean computed in floating point may be an
    ulp away from values that are all equal, which would otherwise read as a tiny deviation.
    """

    size: int
    mean: float
    squared_deviations: float
    minimum: float | None = None
    maximum: float | None = None

    @classmethod
    def of(cls, values: Iterable[float]) -> "Baseline":
        """Two passes (mean first, then squared deviations from it), with exactly rounded
        sums: no cancellation however large the values."""
        data = [float(value) for value in values]
        if not data:
            return cls(0, 0.0, 0.0)
        mean = math.fsum(data) / len(data)
        deviations = math.fsum((value - mean) ** 2 for value in data)
        return cls(len(data), mean, deviations, min(data), max(data))

    @property
    def constant(self) -> bool:
        return self.size > 0 and self.minimum is not None and self.minimum == self.maximum

    @property
    def stddev(self) -> float:
        """Sample standard deviation; 0 below two values."""
        if self.size < 2 or self.constant:
            return 0.0
        return math.sqrt(max(self.squared_deviations, 0.0) / (self.size - 1))


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    value: float | None
    baseline_size: int
    mean: float | None = None
    stddev: float | None = None
    lower: float | None = None
    upper: float | None = None
    z_score: float | None = None
    deviation_percentage: float | None = None
    # How far outside the band, in thresholds: min(1, |z| / z_threshold); 1 for any change
    # from a constant baseline, 0 for a value equal to it.
    confidence: float | None = None

    @property
    def is_anomaly(self) -> bool:
        return self.outcome is Outcome.ANOMALY


def judge(
    value: float | None, baseline: Baseline, z_threshold: float, minimum_executions: int
) -> Verdict:
    """Is `value` outside mean ± z_threshold·stddev of `baseline`?"""
    if value is None:
        return Verdict(Outcome.NO_VALUE, None, baseline.size)
    if baseline.size < max(minimum_executions, 2):
        return Verdict(Outcome.INSUFFICIENT_HISTORY, value, baseline.size)
    sigma = baseline.stddev
    # A constant history's mean is its value, exactly.
    mean = baseline.minimum if baseline.constant and baseline.minimum is not None else baseline.mean
    upper = mean + z_threshold * sigma
    lower = max(0.0, mean - z_threshold * sigma)
    if sigma == 0.0:
        # A perfectly constant history: any different value is an anomaly; z is undefined.
        changed = not math.isclose(value, mean, rel_tol=1e-12)
        z_score, confidence = None, 1.0 if changed else 0.0
        anomalous = changed
    else:
        z_score = (value - mean) / sigma
        confidence = min(1.0, abs(z_score) / z_threshold)
        anomalous = value > upper or value < lower
    return Verdict(
        outcome=Outcome.ANOMALY if anomalous else Outcome.NORMAL,
        value=value,
        baseline_size=baseline.size,
        mean=mean,
        stddev=sigma,
        lower=lower,
        upper=upper,
        z_score=z_score,
        deviation_percentage=(value - mean) / mean * 100 if mean != 0 else None,
        confidence=confidence,
    )
