"""Small statistics the reports need: medians, percentiles, spread."""

import math
from collections.abc import Sequence


def median(values: Sequence[float]) -> float:
    """The middle value (the mean of the two middle values for an even count)."""
    if not values:
        raise ValueError("median of no values")
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile, as wrk reports them: `fraction` in [0, 1]."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= fraction <= 1:
        raise ValueError("fraction must be between 0 and 1")
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def relative_deviation(value: float, reference: float) -> float:
    """|value - reference| / reference; infinite when the reference is zero."""
    if reference == 0:
        return 0.0 if value == 0 else math.inf
    return abs(value - reference) / reference
