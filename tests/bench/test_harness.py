"""The benchmark harness's arithmetic and request building, without servers or databases."""

import json

import pytest
from bench.harness import Comparison, Measurement, Target, median, percentile, workloads
from bench.harness.compare import kept_rounds
from bench.harness.pyload import _Requests


def measurement(rate: float, p99_ms: float = 10.0, non2xx: int = 0) -> Measurement:
    return Measurement(
        requests=round(rate * 10), seconds=10.0, non2xx=non2xx, socket_errors=0, timeouts=0,
        p50_ms=1.0, p90_ms=5.0, p95_ms=7.0, p99_ms=p99_ms, max_ms=p99_ms * 2,
    )  # fmt: skip


def test_median_and_percentile() -> None:
    assert median([3, 1, 2]) == 2
    assert median([4, 1, 2, 3]) == 2.5
    values = list(range(1, 101))
    assert percentile(values, 0.5) == 50
    assert percentile(values, 0.99) == 99
    assert percentile(values, 1.0) == 100


def test_a_round_whose_baseline_strays_more_than_15_percent_is_discarded() -> None:
    assert kept_rounds([1000, 1100, 700]) == [0, 1]
    assert kept_rounds([1000, 1140, 870]) == [0, 1, 2]


def test_two_rounds_far_apart_are_both_kept_rather_than_none() -> None:
    assert kept_rounds([1000, 2000]) == [0, 1]


def test_ratio_is_the_median_of_per_round_ratios_over_kept_rounds() -> None:
    comparison = Comparison(
        "lifecycle",
        "req/s",
        {
            "baseline": [measurement(1000), measurement(1000), measurement(500)],
            "watcher": [measurement(300), measurement(400), measurement(500)],
        },
    )
    assert comparison.kept == [0, 1]
    assert comparison.ratio("watcher") == pytest.approx(0.35)
    assert comparison.discarded == [2]


def test_verdicts_check_ratio_rate_latency_and_failures() -> None:
    results = {
        "baseline": [measurement(1000)],
        "watcher": [measurement(450, p99_ms=50)],
        "slow": [measurement(300, p99_ms=150, non2xx=2)],
    }
    targets = [
        Target("watcher", must=0.25, goal=0.40, min_rate=300, max_p99_ms=100),
        Target("slow", must=0.25, goal=0.40, min_rate=400, max_p99_ms=100),
        Target("slow", of="watcher", must=0.5, no_failures=False),
    ]
    verdicts = Comparison("c", "req/s", results, targets).verdicts()
    assert [v.outcome for v in verdicts] == ["goal", "miss", "pass"]
    assert len(verdicts[1].reasons) == 3  # rate, p99, failures
    assert verdicts[2].ratio == pytest.approx(300 / 450)


def test_the_python_load_generator_ends_each_run_with_the_id_its_start_returned() -> None:
    requests = _Requests(workloads.lifecycle(range(1, 3)), "127.0.0.1:1")
    first = requests.next()
    assert first.startswith(b"POST /start_pipeline_execution ")
    assert json.loads(first.split(b"\r\n\r\n")[1])["pipeline_id"] in (1, 2)
    requests.record(201, b'{"id":42}')
    second = requests.next()
    assert second.startswith(b"POST /end_pipeline_execution ")
    assert json.loads(second.split(b"\r\n\r\n")[1])["id"] == 42
    requests.record(204, b"")
    assert requests.ends == 1
    assert requests.next().startswith(b"POST /start_pipeline_execution ")


def test_a_keyed_workload_sends_its_key_with_every_request() -> None:
    keyed = workloads.with_key(workloads.lifecycle(range(1, 3)), "wat_token")
    requests = _Requests(keyed, "127.0.0.1:1")
    start = requests.next()
    requests.record(201, b'{"id":42}')
    end = requests.next()

    assert b"\r\nAuthorization: Bearer wat_token\r\n" in start
    assert b"\r\nAuthorization: Bearer wat_token\r\n" in end
    assert "authorization=Bearer wat_token" in keyed.wrk_arguments()


def test_an_end_workload_walks_its_range_and_counts_wraps() -> None:
    requests = _Requests(workloads.end(range(5, 7)), "127.0.0.1:1")
    ids = [json.loads(requests.next().split(b"\r\n\r\n")[1])["id"] for _ in range(3)]
    assert ids == [5, 6, 5]
    assert requests.wrapped == 1


def test_a_background_job_runs_beside_the_block_and_its_error_is_raised() -> None:
    from bench.harness import in_background

    with in_background(lambda: 7) as future:
        pass
    assert future.result() == 7

    def broken() -> None:
        raise RuntimeError("cleanup failed")

    with pytest.raises(RuntimeError, match="cleanup failed"), in_background(broken):
        pass


def test_the_report_table_shows_p95_between_p50_and_p99() -> None:
    from bench.harness.report import Report

    report = Report(options={})
    report.comparisons.append(
        Comparison("lifecycle", "req/s", {"baseline": [measurement(1000, p99_ms=20.0)]})
    )
    header, _, row = report.markdown().splitlines()[2:5]
    columns = [cell.strip() for cell in header.split("|")]
    values = dict(zip(columns, (cell.strip() for cell in row.split("|")), strict=True))
    assert (values["p50 ms"], values["p95 ms"], values["p99 ms"]) == ("1.0", "7.0", "20.0")
