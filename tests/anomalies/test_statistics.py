"""Known series, known verdicts: the statistics of detection, without a database."""

import math
import statistics

import pytest

from watcher_server.anomalies.statistics import Baseline, Outcome, judge

NORMAL = [100, 102, 98, 101, 99, 100, 103, 97]  # mean 100, sample stddev 2


def test_baseline_is_the_mean_and_the_sample_standard_deviation() -> None:
    baseline = Baseline.of(NORMAL)
    assert baseline.size == 8
    assert baseline.mean == 100
    assert baseline.stddev == pytest.approx(statistics.stdev(NORMAL))
    assert baseline.stddev == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("value", "outcome"),
    [
        (100, Outcome.NORMAL),
        (105.9, Outcome.NORMAL),  # inside mean + 3 * 2
        (106, Outcome.NORMAL),  # on the bound is inside
        (106.1, Outcome.ANOMALY),  # a spike
        (93.9, Outcome.ANOMALY),  # a drop
        (94, Outcome.NORMAL),
        (0, Outcome.ANOMALY),
        (1e15, Outcome.ANOMALY),
    ],
)
def test_two_sided_band(value: float, outcome: Outcome) -> None:
    verdict = judge(value, Baseline.of(NORMAL), z_threshold=3, minimum_executions=7)
    assert verdict.outcome is outcome
    assert (verdict.lower, verdict.upper) == pytest.approx((94, 106))


def test_a_finding_explains_itself() -> None:
    verdict = judge(112, Baseline.of(NORMAL), z_threshold=3, minimum_executions=7)
    assert verdict.is_anomaly
    assert verdict.mean == 100
    assert verdict.stddev == pytest.approx(2)
    assert verdict.z_score == pytest.approx(6)
    assert verdict.deviation_percentage == pytest.approx(12)
    assert verdict.confidence == 1.0  # min(1, |z| / z_threshold)
    assert verdict.baseline_size == 8

    drop = judge(97, Baseline.of(NORMAL), z_threshold=3, minimum_executions=7)
    assert drop.outcome is Outcome.NORMAL
    assert drop.z_score == pytest.approx(-1.5)
    assert drop.confidence == pytest.approx(0.5)
    assert drop.deviation_percentage == pytest.approx(-3)


def test_the_lower_bound_is_clipped_at_zero() -> None:
    baseline = Baseline.of([0, 10, 0, 12, 1, 9, 0, 8])  # wide: mean - 3 stddev < 0
    verdict = judge(0, baseline, z_threshold=3, minimum_executions=7)
    assert verdict.lower == 0
    assert verdict.outcome is Outcome.NORMAL


def test_constant_history_any_change_is_an_anomaly_without_a_z_score() -> None:
    constant = Baseline.of([50] * 10)
    assert constant.stddev == 0
    changed = judge(51, constant, z_threshold=3, minimum_executions=7)
    assert changed.outcome is Outcome.ANOMALY
    assert changed.z_score is None
    assert changed.confidence == 1.0
    assert (changed.lower, changed.upper) == (50, 50)
    same = judge(50, constant, z_threshold=3, minimum_executions=7)
    assert same.outcome is Outcome.NORMAL
    assert same.confidence == 0.0


def test_constant_history_of_fractions_is_still_constant() -> None:
    # Summing 0.1 ten times is not exactly 1.0: the rounding must not read as variation.
    constant = Baseline(10, 0.1 * 3 / 3 + 1e-17, 1e-34, 0.1, 0.1)
    assert constant.stddev == 0
    assert judge(0.1, constant, z_threshold=3, minimum_executions=7).outcome is Outcome.NORMAL


def test_zero_mean_has_no_deviation_percentage() -> None:
    verdict = judge(5, Baseline.of([0] * 8), z_threshold=3, minimum_executions=7)
    assert verdict.outcome is Outcome.ANOMALY
    assert verdict.deviation_percentage is None


def test_insufficient_history_is_an_explicit_outcome_with_the_count() -> None:
    verdict = judge(1000, Baseline.of(NORMAL[:6]), z_threshold=3, minimum_executions=7)
    assert verdict.outcome is Outcome.INSUFFICIENT_HISTORY
    assert verdict.baseline_size == 6
    assert verdict.mean is None
    assert not verdict.is_anomaly


def test_one_value_is_never_enough_for_a_sample_deviation() -> None:
    verdict = judge(5, Baseline.of([1]), z_threshold=3, minimum_executions=1)
    assert verdict.outcome is Outcome.INSUFFICIENT_HISTORY


def test_a_missing_value_is_no_value() -> None:
    verdict = judge(None, Baseline.of(NORMAL), z_threshold=3, minimum_executions=7)
    assert verdict.outcome is Outcome.NO_VALUE
    assert verdict.baseline_size == 8


def test_empty_baseline() -> None:
    assert Baseline.of([]) == Baseline(0, 0.0, 0.0)
    assert not Baseline.of([]).constant
    assert Baseline.of([]).stddev == 0


def test_values_up_to_ten_to_the_fifteen_keep_their_precision() -> None:
    # The naive sum-of-squares formula loses everything here (1e30 squared terms against a
    # variance of 2.5): the two-pass result must be exact.
    values = [1e15 + offset for offset in (-2, -1, 0, 1, 2)]
    baseline = Baseline.of(values)
    assert baseline.mean == 1e15
    assert baseline.stddev == pytest.approx(math.sqrt(2.5))
    naive = (sum(v * v for v in values) - sum(values) ** 2 / 5) / 4
    assert naive != pytest.approx(2.5)  # what the stable computation avoids
    assert judge(1e15 + 4, baseline, 3, 5).outcome is Outcome.NORMAL
    assert judge(1e15 + 5, baseline, 3, 5).outcome is Outcome.ANOMALY


def test_moments_from_sql_and_from_values_agree() -> None:
    values = [3.5, 7.25, 1e12, 42, 0, 17]
    mean = sum(values) / len(values)
    from_sql = Baseline(len(values), mean, sum((v - mean) ** 2 for v in values), 0, 1e12)
    assert from_sql.stddev == pytest.approx(Baseline.of(values).stddev, rel=1e-12)
    assert from_sql.stddev == pytest.approx(statistics.stdev(values), rel=1e-12)


@pytest.mark.parametrize("threshold", [1.0, 2.5, 10.0])
def test_the_threshold_scales_the_band(threshold: float) -> None:
    verdict = judge(100, Baseline.of(NORMAL), z_threshold=threshold, minimum_executions=7)
    assert verdict.upper == pytest.approx(100 + 2 * threshold)
    assert verdict.lower == pytest.approx(max(0, 100 - 2 * threshold))
