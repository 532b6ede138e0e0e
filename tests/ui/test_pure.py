"""The console's pure parts, without a browser: the timeline's geometry, the chart's band and
data, the forms' conversions and the value formats."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from watcher_server.anomalies.statistics import Baseline, judge
from watcher_server.models import AnomalyMetric
from watcher_server.ui.charts import chart_document, current_bands, success_rate
from watcher_server.ui.forms import api_message, as_json, parse_form
from watcher_server.ui.runs import timeline
from watcher_server.ui.templating import duration, number, relative

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def _run(run_id: int, start_minutes_ago: float, end_minutes_ago: float | None, **fields):
    start = NOW - timedelta(minutes=start_minutes_ago)
    end = None if end_minutes_ago is None else NOW - timedelta(minutes=end_minutes_ago)
    values = {
        "id": run_id,
        "parent_id": None,
        "start_date": start,
        "end_date": end,
        "completed_successfully": None if end is None else True,
        "anomaly_flags": None,
        **{metric.value: None for metric in AnomalyMetric},
    }
    return SimpleNamespace(**{**values, **fields})


def _rule(metric: AnomalyMetric, **fields) -> SimpleNamespace:
    values = {"id": 7, "lookback_days": 30, "z_threshold": 3.0, "minimum_executions": 3}
    return SimpleNamespace(metric_field=metric, **{"seasonality": "none", **values, **fields})


def test_the_timeline_spans_the_tree_and_a_running_run_reaches_now() -> None:
    root = _run(1, 60, None)
    child = _run(2, 50, 30, parent_id=1)
    grandchild = _run(3, 45, 40, parent_id=2, completed_successfully=False)
    late_child = _run(4, 20, 10, parent_id=1)
    bars = timeline([late_child, grandchild, root, child], root_id=1, now=NOW)
    assert [(bar.run.id, bar.depth, bar.status) for bar in bars] == [
        (1, 0, "running"),
        (2, 1, "succeeded"),
        (3, 2, "failed"),
        (4, 1, "succeeded"),
    ]
    assert bars[0].left == 0
    assert round(bars[0].left + bars[0].width, 6) == 100  # the running root reaches now
    assert round(bars[1].left, 6) == round(10 / 60 * 100, 6)
    assert round(bars[1].width, 6) == round(20 / 60 * 100, 6)


def test_the_band_is_the_judges_own_and_leaves_flagged_runs_out() -> None:
    rule = _rule(AnomalyMetric.DURATION_SECONDS, z_threshold=2.0)
    durations = [60, 62, 64, 66]
    runs = [
        _run(i, 60 * i, 60 * i - 1, duration_seconds=value) for i, value in enumerate(durations, 1)
    ]
    flagged = _run(9, 30, 1, duration_seconds=5_000, anomaly_flags={"duration_seconds": True})
    band = current_bands(rule, [flagged, *runs], NOW).at(NOW)
    expected = judge(63.0, Baseline.of(durations), 2.0, 3)
    assert band is not None
    assert (band.lower, band.upper, band.baseline_size) == (expected.lower, expected.upper, 4)
    too_old = SimpleNamespace(**{**vars(rule), "lookback_days": 1})
    assert (
        current_bands(too_old, [_run(1, 3 * 24 * 60, 3 * 24 * 60 - 1, duration_seconds=1)], NOW).at(
            NOW
        )
        is None
    )


def test_a_seasonal_rules_band_is_each_runs_own_buckets() -> None:
    rule = _rule(AnomalyMetric.TOTAL_ROWS, seasonality="hour_of_day")
    # A nightly full load at 02:00 beside small hourly increments at 03:00, for five days.
    nightly = [_run(d, 60 * (24 * d + 10), 0, total_rows=1000 + d) for d in range(1, 6)]
    hourly = [_run(10 + d, 60 * (24 * d + 9), 0, total_rows=10 + d) for d in range(1, 6)]
    history = sorted([*nightly, *hourly], key=lambda run: run.start_date, reverse=True)
    bands = current_bands(rule, history, NOW)
    at_two, at_three = bands.at(nightly[0].start_date), bands.at(hourly[0].start_date)
    assert at_two is not None
    assert at_three is not None
    assert 100 < at_two.lower <= 1003 <= at_two.upper
    assert at_three.lower <= 13 <= at_three.upper < 100
    assert bands.at(NOW) is None  # noon: no history in that hour

    document = chart_document(
        sorted(history, key=lambda run: run.start_date),
        {AnomalyMetric.TOTAL_ROWS: bands},
        NOW - timedelta(days=30),
        NOW,
    )
    rows_chart = next(c for c in document["charts"] if c["metric"] == "total_rows")
    expected = [
        (bands.at(run.start_date).lower, bands.at(run.start_date).upper)
        for run in sorted(history, key=lambda run: run.start_date)
    ]
    band = rows_chart["band"]
    assert list(zip(band["lower"], band["upper"], strict=True)) == expected
    assert rows_chart["band"]["seasonality"] == "hour_of_day"


def test_the_chart_has_a_point_per_run_and_marks_flags() -> None:
    runs = [
        _run(1, 30, 29, duration_seconds=60, total_rows=10),
        _run(2, 20, 19, duration_seconds=61, completed_successfully=False),
        _run(3, 10, 9, duration_seconds=600, anomaly_flags={"duration_seconds": True}),
    ]
    document = chart_document(runs, {}, NOW - timedelta(days=30), NOW)
    duration_chart, rows_chart = document["charts"]
    assert duration_chart["values"] == [60.0, 61.0, 600.0]
    assert duration_chart["flagged"] == [2]
    assert rows_chart["values"] == [10.0, None, None]
    assert [run["status"] for run in document["runs"]] == ["succeeded", "failed", "succeeded"]
    assert success_rate(runs) == (2, 3)


def test_form_fields_become_what_a_json_client_sends() -> None:
    assert parse_form(b"a=1&b=&b=2&c=x+y") == {"a": "1", "b": "2", "c": "x y"}
    assert [as_json(text) for text in ("", " 12 ", "-3", "1.5", "abc")] == [
        None,
        12,
        -3,
        "1.5",
        "abc",
    ]
    error = {"loc": ("body", "freshness_number"), "msg": "Input should be greater than 0"}
    assert api_message(error) == "freshness_number: Input should be greater than 0"
    model_level = {"loc": ("body",), "msg": "Value error, a and b must be provided together"}
    assert api_message(model_level) == "a and b must be provided together"


def test_values_are_formatted_for_people() -> None:
    assert [duration(s) for s in (None, 42, 185, 7500, 200_000)] == [
        "—",
        "42 s",
        "3 min 05 s",
        "2 h 05 min",
        "2 d 7 h",
    ]
    assert number(1234567) == "1\u202f234\u202f567"
    assert number(None) == "—"
    assert relative(NOW - timedelta(minutes=5), NOW) == "5 min 00 s ago"
    assert relative(NOW + timedelta(hours=2), NOW) == "in 2 h 00 min"
