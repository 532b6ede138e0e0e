"""The alert of an anomalous execution, without a database."""

from watcher_server.anomalies.messages import FlaggedMetric, anomaly_alert, number
from watcher_server.anomalies.statistics import Baseline, judge


def test_one_alert_lists_every_flagged_metric() -> None:
    spike = judge(5000, Baseline.of([100, 102, 98, 101, 99, 100, 103, 97]), 3, 7)
    constant = judge(7, Baseline.of([5] * 8), 3, 7)
    alert = anomaly_alert(
        7,
        "orders",
        42,
        [FlaggedMetric("inserts", spike, "all"), FlaggedMetric("updates", constant, "all")],
    )
    assert alert.kind == "anomaly.detected"
    assert alert.title == "Anomaly Detection"
    assert (
        alert.message
        == "Anomalies Detected for Pipeline 'orders' (ID: 7) - Execution ID 42 flagged"
    )
    assert alert.details["Total Anomalies"] == "2"
    assert alert.details["Metrics"] == "inserts, updates"
    lines = alert.details["Anomalies"].splitlines()
    assert lines[0].startswith("• inserts: 5,000 (Range: 94 - 106, z: +2450.00")
    assert "z: undefined, constant history" in lines[1]
    assert alert.subject == "pipeline_execution:42"
    assert alert.pipeline_id == 7


def test_numbers_read_well_at_any_magnitude() -> None:
    assert number(1e15) == "1,000,000,000,000,000"
    assert number(12) == "12"
    assert number(0.012345) == "0.01235"
    assert number(None) == "n/a"
