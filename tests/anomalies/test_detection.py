"""Detection end to end through the API: what gets flagged, stored, alerted and unflagged."""

import asyncio
import statistics
from datetime import timedelta

import httpx
import pytest

from tests.anomalies.conftest import (
    NORMAL_INSERTS,
    TODAY,
    add_rule,
    anomaly_alerts,
    daily_history,
    detect,
    flags_of,
    outcome_of,
    ruled_pipeline,
    run,
)


async def test_a_spike_and_a_drop_are_flagged_a_normal_run_is_not(
    client: httpx.AsyncClient, unique: str, detector
) -> None:
    pipeline_id = await ruled_pipeline(client, f"spikes {unique}", "inserts")
    await daily_history(client, pipeline_id, NORMAL_INSERTS, days_ago=3)

    spike = await run(client, pipeline_id, TODAY - timedelta(days=2), inserts=1000)
    await detector()
    assert await flags_of(client, spike) == {"inserts": True}

    drop = await run(client, pipeline_id, TODAY - timedelta(days=1), inserts=2)
    await detector()
    assert await flags_of(client, drop) == {"inserts": True}

    normal = await run(client, pipeline_id, TODAY, inserts=101)
    await detector()
    assert await flags_of(client, normal) is None

    # The normal run was judged against the ten normal runs only: flagged runs stay out.
    outcome = outcome_of(await detect(client, pipeline_id), "inserts")
    assert outcome["outcome"] == "normal"
    assert outcome["baseline_size"] == len(NORMAL_INSERTS)
    assert outcome["mean"] == sum(NORMAL_INSERTS) / len(NORMAL_INSERTS)


async def test_a_finding_is_stored_with_its_explanation(
    client: httpx.AsyncClient, unique: str, detector
) -> None:
    pipeline_id = await ruled_pipeline(client, f"explained {unique}", "inserts", z_threshold=2.5)
    await daily_history(client, pipeline_id, NORMAL_INSERTS)
    spike = await run(client, pipeline_id, TODAY, inserts=500)
    await detector()

    response = await client.get("/anomaly_detection_result", params={"pipeline_id": pipeline_id})
    assert response.status_code == 200
    [finding] = response.json()
    mean = sum(NORMAL_INSERTS) / len(NORMAL_INSERTS)
    assert finding["pipeline_execution_id"] == spike
    assert finding["metric_field"] == "inserts"
    assert finding["violation_value"] == 500
    assert finding["historical_mean"] == mean
    assert finding["baseline_size"] == len(NORMAL_INSERTS)
    assert finding["z_threshold"] == 2.5
    sigma = finding["std_deviation_value"]
    assert finding["threshold_max_value"] == mean + 2.5 * sigma
    assert finding["threshold_min_value"] == max(0, mean - 2.5 * sigma)
    assert finding["z_score"] == (500 - mean) / sigma
    assert finding["deviation_percentage"] == (500 - mean) / mean * 100
    assert finding["confidence_score"] == 1.0
    assert finding["seasonality"] == "none"
    assert finding["seasonality_bucket"] == "all"


async def test_every_active_rule_is_evaluated_and_one_alert_lists_them(
    client: httpx.AsyncClient, unique: str, detector
) -> None:
    pipeline_id = await ruled_pipeline(client, f"two rules {unique}", "inserts", "duration_seconds")
    inactive = await add_rule(client, pipeline_id, "updates", active=False)
    await daily_history(client, pipeline_id, NORMAL_INSERTS)
    both = await run(client, pipeline_id, TODAY, seconds=6000, inserts=5000, updates=10**9)
    await detector()

    assert await flags_of(client, both) == {"inserts": True, "duration_seconds": True}
    [alert] = await anomaly_alerts(client, pipeline_id)
    assert alert["subject"] == f"pipeline_execution:{both}"
    assert alert["message"].endswith(f"Execution ID {both} flagged")
    assert alert["details"]["Total Anomalies"] == "2"
    assert set(alert["details"]["Metrics"].split(", ")) == {"inserts", "duration_seconds"}

    detection = await detect(client, pipeline_id)
    assert detection["pipeline_execution_id"] == both
    assert detection["status"] == "warning"
    assert {o["metric_field"] for o in detection["outcomes"]} == {"inserts", "duration_seconds"}
    assert inactive not in {o["rule_id"] for o in detection["outcomes"]}


async def test_one_alert_per_flagged_execution_however_often_it_is_tested(
    client: httpx.AsyncClient, unique: str, detector
) -> None:
    pipeline_id = await ruled_pipeline(client, f"alert once {unique}", "inserts")
    await daily_history(client, pipeline_id, NORMAL_INSERTS)
    spike = await run(client, pipeline_id, TODAY, inserts=900)
    await detector()
    for _ in range(2):
        detection = await detect(client, pipeline_id)
        outcome = outcome_of(detection, "inserts")
        assert (outcome["outcome"], outcome["flagged"], outcome["new"]) == ("anomaly", True, False)

    [alert] = await anomaly_alerts(client, pipeline_id)
    assert alert["subject"] == f"pipeline_execution:{spike}"
    results = await client.get("/anomaly_detection_result", params={"pipeline_id": pipeline_id})
    assert len(results.json()) == 1


async def test_unflag_puts_the_run_back_into_the_baseline(
    client: httpx.AsyncClient, unique: str, detector
) -> None:
    pipeline_id = await ruled_pipeline(client, f"unflag {unique}", "inserts", "total_rows")
    await daily_history(client, pipeline_id, NORMAL_INSERTS, days_ago=2)
    spike = await run(client, pipeline_id, TODAY - timedelta(days=1), inserts=700, total_rows=700)
    await detector()
    assert await flags_of(client, spike) == {"inserts": True, "total_rows": True}

    latest = await run(client, pipeline_id, TODAY, inserts=100)
    before = outcome_of(await detect(client, pipeline_id), "inserts")
    assert before["baseline_size"] == len(NORMAL_INSERTS)

    body = {"pipeline_id": pipeline_id, "pipeline_execution_id": spike, "metric_field": ["inserts"]}
    response = await client.post("/unflag_anomaly", json=body)
    assert response.status_code == 204, response.text
    assert await flags_of(client, spike) == {"inserts": False, "total_rows": True}
    results = await client.get("/anomaly_detection_result", params={"pipeline_id": pipeline_id})
    assert [r["metric_field"] for r in results.json()] == ["total_rows"]

    after = outcome_of(await detect(client, pipeline_id), "inserts")
    assert after["baseline_size"] == len(NORMAL_INSERTS) + 1
    assert after["mean"] == (sum(NORMAL_INSERTS) + 700) / (len(NORMAL_INSERTS) + 1)
    assert await flags_of(client, latest) is None
    # Detection never flags again what an operator cleared.
    again = await client.post("/anomaly_detection/detect/" + str(pipeline_id))
    assert again.status_code == 200
    assert await flags_of(client, spike) == {"inserts": False, "total_rows": True}


async def test_unflag_refuses_what_it_cannot_clear(
    client: httpx.AsyncClient, unique: str, detector
) -> None:
    pipeline_id = await ruled_pipeline(client, f"unflag errors {unique}", "inserts")
    other = await ruled_pipeline(client, f"unflag other {unique}", "inserts")
    await daily_history(client, pipeline_id, NORMAL_INSERTS)
    spike = await run(client, pipeline_id, TODAY, inserts=900)
    clean = await run(client, pipeline_id, TODAY + timedelta(hours=1), inserts=100)
    await detector()

    async def unflag(pipeline: int, execution: int, metrics: object) -> httpx.Response:
        body = {
            "pipeline_id": pipeline,
            "pipeline_execution_id": execution,
            "metric_field": metrics,
        }
        return await client.post("/unflag_anomaly", json=body)

    missing = await unflag(pipeline_id, 2**62, ["inserts"])
    assert missing.status_code == 404
    assert "not found" in missing.json()["message"]
    assert (await unflag(other, spike, ["inserts"])).status_code == 404
    no_flags = await unflag(pipeline_id, clean, ["inserts"])
    assert no_flags.status_code == 404
    assert "no anomaly flags" in no_flags.json()["message"]
    not_flagged = await unflag(pipeline_id, spike, ["updates", "throughput"])
    assert not_flagged.status_code == 404
    assert "none of the requested metrics [updates, throughput]" in not_flagged.json()["message"]
    assert (await unflag(pipeline_id, spike, [])).status_code == 422
    assert (await unflag(pipeline_id, spike, ["rows"])).status_code == 422
    assert (await unflag(pipeline_id, spike, "inserts")).status_code == 204  # one metric
    assert await flags_of(client, spike) == {"inserts": False}


async def test_identical_unflags_at_once_clear_the_flag_once(
    client: httpx.AsyncClient, unique: str, detector
) -> None:
    """The run's row lock orders them: the first clears the flag, the others find nothing
    flagged (404), as if they had come one after another."""
    pipeline_id = await ruled_pipeline(client, f"unflag race {unique}", "inserts")
    await daily_history(client, pipeline_id, NORMAL_INSERTS)
    spike = await run(client, pipeline_id, TODAY, inserts=900)
    await detector()
    body = {"pipeline_id": pipeline_id, "pipeline_execution_id": spike, "metric_field": ["inserts"]}

    responses = await asyncio.gather(
        *(client.post("/unflag_anomaly", json=body) for _ in range(10))
    )

    assert sorted(response.status_code for response in responses) == [204] + [404] * 9
    assert await flags_of(client, spike) == {"inserts": False}
    results = await client.get("/anomaly_detection_result", params={"pipeline_id": pipeline_id})
    assert results.json() == []


async def test_too_little_history_is_an_explicit_outcome(
    client: httpx.AsyncClient, unique: str, detector
) -> None:
    pipeline_id = await ruled_pipeline(client, f"young {unique}", "inserts", "updates")
    await daily_history(client, pipeline_id, [100, 100, 100])
    newest = await run(client, pipeline_id, TODAY, inserts=10_000)
    await detector()
    assert await flags_of(client, newest) is None

    detection = await detect(client, pipeline_id)
    assert detection["status"] == "success"
    inserts = outcome_of(detection, "inserts")
    assert (inserts["outcome"], inserts["baseline_size"]) == ("insufficient_history", 3)
    assert inserts["minimum_executions"] == 5
    assert outcome_of(detection, "updates")["outcome"] == "no_value"


async def test_a_change_from_a_constant_history_is_an_anomaly(
    client: httpx.AsyncClient, unique: str, detector
) -> None:
    pipeline_id = await ruled_pipeline(client, f"constant {unique}", "soft_deletes")
    first = TODAY - timedelta(days=8)
    for day in range(7):
        await run(client, pipeline_id, first + timedelta(days=day), soft_deletes=0)
    same = await run(client, pipeline_id, TODAY - timedelta(days=1), soft_deletes=0)
    await detector()
    assert await flags_of(client, same) is None
    changed = await run(client, pipeline_id, TODAY, soft_deletes=1)
    await detector()
    assert await flags_of(client, changed) == {"soft_deletes": True}
    [finding] = (
        await client.get("/anomaly_detection_result", params={"pipeline_id": pipeline_id})
    ).json()
    assert finding["z_score"] is None
    assert finding["deviation_percentage"] is None  # the mean is 0
    assert finding["std_deviation_value"] == 0
    assert "constant" in finding["context"]["z_score_note"]


async def test_runs_outside_the_lookback_do_not_count(
    client: httpx.AsyncClient, unique: str
) -> None:
    pipeline_id = await ruled_pipeline(client, f"lookback {unique}", "inserts", lookback_days=7)
    await daily_history(client, pipeline_id, NORMAL_INSERTS)  # the last ten days
    await run(client, pipeline_id, TODAY, inserts=100)
    outcome = outcome_of(await detect(client, pipeline_id), "inserts")
    assert outcome["baseline_size"] == 7
    assert outcome["lookback_days"] == 7


async def test_failed_and_running_executions_are_not_baseline_nor_tested(
    client: httpx.AsyncClient, unique: str, detector
) -> None:
    from tests.factories import end_run, start_run

    pipeline_id = await ruled_pipeline(client, f"failures {unique}", "inserts")
    await daily_history(client, pipeline_id, NORMAL_INSERTS)
    failed = await start_run(client, pipeline_id, start_date=TODAY.isoformat())
    response = await end_run(client, failed, completed_successfully=False, inserts=10**6)
    assert response.status_code == 204
    await start_run(client, pipeline_id)  # still running
    await detector()
    assert await flags_of(client, failed) is None
    detection = await detect(client, pipeline_id)
    assert detection["pipeline_execution_id"] != failed
    assert outcome_of(detection, "inserts")["baseline_size"] == len(NORMAL_INSERTS) - 1


async def test_seasonality_compares_like_with_like(client: httpx.AsyncClient, unique: str) -> None:
    """Nightly runs load 100 rows, afternoon runs 5,000: an afternoon run is only an anomaly
    when compared with every run."""
    pipeline_id = await create_pipeline_with_rules(client, unique)
    first = TODAY - timedelta(days=10)
    for day in range(10):
        await run(client, pipeline_id, first + timedelta(days=day), inserts=100 + day % 3)
        afternoon = first + timedelta(days=day, hours=12)
        await run(client, pipeline_id, afternoon, inserts=5000 + day % 5)
    await run(client, pipeline_id, TODAY + timedelta(hours=12), inserts=5002)

    detection = await detect(client, pipeline_id)
    by_metric = {o["metric_field"]: o for o in detection["outcomes"]}
    assert by_metric["inserts"]["outcome"] == "normal"
    assert by_metric["inserts"]["seasonality_bucket"] == "14:00-14:59 UTC"
    assert by_metric["inserts"]["baseline_size"] == 10
    assert by_metric["total_rows"]["outcome"] == "no_value"


async def create_pipeline_with_rules(client: httpx.AsyncClient, unique: str) -> int:
    return await ruled_pipeline(
        client, f"seasonal {unique}", "inserts", "total_rows", seasonality="hour_of_day"
    )


async def test_day_of_week_compares_with_the_same_weekday(
    client: httpx.AsyncClient, unique: str
) -> None:
    pipeline_id = await ruled_pipeline(
        client, f"weekly {unique}", "inserts", seasonality="day_of_week", lookback_days=60
    )
    first = TODAY - timedelta(days=42)
    for day in range(42):  # six weeks: busy on the tested run's weekday, quiet otherwise
        busy = (first + timedelta(days=day)).weekday() == TODAY.weekday()
        await run(client, pipeline_id, first + timedelta(days=day), inserts=(9000 if busy else 10))
    await run(client, pipeline_id, TODAY, inserts=9001)
    outcome = outcome_of(await detect(client, pipeline_id), "inserts")
    assert outcome["baseline_size"] == 6
    assert outcome["outcome"] == "anomaly"  # 9001 against six runs of exactly 9000
    assert outcome["z_score"] is None


async def test_values_up_to_ten_to_the_fifteen(
    client: httpx.AsyncClient, unique: str, detector
) -> None:
    pipeline_id = await ruled_pipeline(client, f"huge {unique}", "total_rows", "throughput")
    huge = [10**15 + offset for offset in (-20, 30, -10, 0, 10, -30, 20, 5)]
    first = TODAY - timedelta(days=len(huge))
    for day, value in enumerate(huge):
        await run(client, pipeline_id, first + timedelta(days=day), seconds=1000, total_rows=value)
    spike = await run(client, pipeline_id, TODAY, seconds=1000, total_rows=10**15 + 10**6)
    await detector()
    assert await flags_of(client, spike) == {"total_rows": True, "throughput": True}
    detection = await detect(client, pipeline_id)
    total = outcome_of(detection, "total_rows")
    assert total["mean"] == 10**15 + 0.625
    assert total["value"] == 10**15 + 10**6
    assert total["std_deviation"] == pytest.approx(statistics.stdev(huge), rel=1e-9)


async def test_detect_answers_for_pipelines_without_runs_or_rules(
    client: httpx.AsyncClient, unique: str
) -> None:
    from tests.factories import create_pipeline

    empty = await ruled_pipeline(client, f"no runs {unique}", "inserts")
    detection = await detect(client, empty)
    assert detection == {
        "status": "success",
        "pipeline_id": empty,
        "pipeline_execution_id": None,
        "outcomes": [],
    }
    unruled = await create_pipeline(client, f"no rules {unique}")
    execution = await run(client, unruled, TODAY, inserts=5)
    assert (await detect(client, unruled))["pipeline_execution_id"] == execution
    assert (await detect(client, unruled))["outcomes"] == []
    missing = await client.post(f"/anomaly_detection/detect/{2**62}")
    assert missing.status_code == 404
    assert (await client.post("/anomaly_detection/detect/0")).status_code == 422


async def test_results_are_listed_newest_first_and_paginated(
    client: httpx.AsyncClient, unique: str, detector
) -> None:
    pipeline_id = await ruled_pipeline(client, f"listing {unique}", "inserts")
    await daily_history(client, pipeline_id, NORMAL_INSERTS, days_ago=3)
    spikes = []
    for days_ago in (2, 1, 0):
        spikes.append(await run(client, pipeline_id, TODAY - timedelta(days=days_ago), inserts=999))
        await detector()
    response = await client.get("/anomaly_detection_result", params={"pipeline_id": pipeline_id})
    assert [r["pipeline_execution_id"] for r in response.json()] == spikes[::-1]
    page = await client.get(
        "/anomaly_detection_result", params={"pipeline_id": pipeline_id, "limit": 1, "offset": 1}
    )
    assert [r["pipeline_execution_id"] for r in page.json()] == [spikes[1]]
    one = await client.get("/anomaly_detection_result", params={"pipeline_execution_id": spikes[0]})
    assert [r["pipeline_execution_id"] for r in one.json()] == [spikes[0]]
    missing = await client.get("/anomaly_detection_result", params={"pipeline_id": 2**62})
    assert missing.status_code == 404
