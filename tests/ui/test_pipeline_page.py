"""The pipeline page in a browser: configuration, checks, the runs chart, and the actions."""

import uuid
from datetime import timedelta

import httpx

from tests.ui.conftest import Console
from tests.ui.data import ago, create_pipeline, run


def _history(api: httpx.Client, tag: str) -> tuple[int, list[int], int, int]:
    """A pipeline with eight runs of about a minute (one failed), a duration rule, and a slow
    last run that detection flags. Answers (pipeline, runs, failed run, slow run)."""
    pipeline_id = create_pipeline(api, f"page_{tag}", freshness_number=1, freshness_datepart="day")
    runs, failed = [], 0
    for hours in range(9, 1, -1):
        start = ago(hours=hours)
        ok = hours != 5
        runs.append(
            run(
                api,
                pipeline_id,
                start,
                start + timedelta(seconds=60 + hours),
                ok,
                total_rows=100 + hours,
                inserts=1,
            )
        )
        if not ok:
            failed = runs[-1]
    rule = {"pipeline_id": pipeline_id, "metric_field": "duration_seconds", "minimum_executions": 3}
    assert api.post("/anomaly_detection_rule", json=rule).status_code == 201
    slow = run(api, pipeline_id, ago(minutes=40), ago(minutes=10), total_rows=99, inserts=1)
    runs.append(slow)
    assert api.post(f"/anomaly_detection/detect/{pipeline_id}").json()["status"] == "warning"
    return pipeline_id, runs, failed, slow


def test_the_chart_has_a_point_per_run_a_band_and_the_flagged_run(
    console: Console, api: httpx.Client
) -> None:
    pipeline_id, runs, failed, slow = _history(api, uuid.uuid4().hex[:8])
    page = console.open(f"/ui/pipelines/{pipeline_id}")
    assert page.title().startswith("Pipeline page_")
    page.locator("#charts[data-drawn]").wait_for(state="attached")
    duration = page.locator('figure[data-metric="duration_seconds"]')
    assert duration.get_attribute("data-points") == str(len(runs))
    assert duration.get_attribute("data-failed") == "1"
    assert duration.get_attribute("data-band") == "yes"
    assert duration.get_attribute("data-flagged") == str(slow)
    assert duration.locator("canvas").count() == 1
    rows = page.locator('figure[data-metric="total_rows"]')
    assert rows.get_attribute("data-points") == str(len(runs))
    assert rows.get_attribute("data-band") == "no"
    assert page.locator("#success-rate").inner_text() == "88.9 %"  # 8 of 9 finished
    assert page.locator("#runs-table tbody tr").count() == len(runs)
    assert page.locator(f'#runs-table tr[data-run-id="{failed}"] .status').inner_text() == "failed"
    status = page.locator(".subtitle .status").first.inner_text()
    assert status == "anomaly"


def test_unflagging_a_finding(console: Console, api: httpx.Client) -> None:
    pipeline_id, _, _, slow = _history(api, uuid.uuid4().hex[:8])
    page = console.open(f"/ui/pipelines/{pipeline_id}")
    page.get_by_role("button", name=f"Unflag run {slow} duration_seconds").click()
    page.wait_for_url(f"**/ui/pipelines/{pipeline_id}?saved=unflag#anomalies")
    assert page.get_by_role("status").inner_text().startswith("The run is unflagged")
    assert page.locator("#findings").count() == 0
    assert page.locator(".subtitle .status").first.inner_text() == "healthy"


def test_switches_change_the_state(console: Console, api: httpx.Client) -> None:
    pipeline_id = create_pipeline(api, f"switch_{uuid.uuid4().hex[:8]}")
    page = console.open(f"/ui/pipelines/{pipeline_id}")
    page.get_by_role("button", name="Mute freshness").click()
    page.wait_for_url(f"**/ui/pipelines/{pipeline_id}?saved=mute#checks")
    assert "muted on the pipeline" in page.locator('tr[data-check="freshness"]').inner_text()
    assert api.get(f"/pipeline/{pipeline_id}").json()["mute_freshness_check"] is True

    page.get_by_role("button", name="Deactivate").click()
    page.wait_for_url(f"**/ui/pipelines/{pipeline_id}?saved=active#checks")
    assert page.locator(".subtitle .status").first.inner_text() == "inactive"
    assert api.get(f"/pipeline/{pipeline_id}").json()["active"] is False


def test_a_bad_threshold_shows_the_apis_message_next_to_the_field(
    console: Console, api: httpx.Client
) -> None:
    pipeline_id = create_pipeline(api, f"bad_{uuid.uuid4().hex[:8]}")
    page = console.open(f"/ui/pipelines/{pipeline_id}")
    console.expect_status(422)
    page.get_by_label("Number").nth(1).fill("0")
    page.locator("#freshness_datepart").select_option("day")
    page.get_by_role("button", name="Save thresholds").click()
    error = page.locator("#error-freshness_number")
    error.wait_for()
    from_api = api.patch(
        "/pipeline", json={"id": pipeline_id, "freshness_number": 0, "freshness_datepart": "day"}
    )
    assert from_api.status_code == 422
    assert error.inner_text() == from_api.json()["message"]
    assert page.locator("#freshness_number").get_attribute("aria-invalid") == "true"
    assert page.locator("#freshness_number").input_value() == "0"

    page.locator("#freshness_number").fill("2")
    page.locator("#freshness_datepart").select_option("hour")
    page.get_by_role("button", name="Save thresholds").click()
    page.wait_for_url(f"**/ui/pipelines/{pipeline_id}?saved=thresholds#checks")
    assert page.locator('tr[data-check="freshness"]').inner_text().split("\t")[1] == "2 hours"
    assert "the pipeline's own" in page.locator('tr[data-check="freshness"]').inner_text()


def test_an_unknown_pipeline_is_a_404_page(console: Console) -> None:
    page = console.open("/ui/pipelines/987654321", status=404)
    assert page.get_by_role("heading", level=1).inner_text() == "Not found"
    assert "pipeline 987654321" in page.locator("main").inner_text()


def test_a_form_without_its_token_is_refused(api: httpx.Client) -> None:
    pipeline_id = create_pipeline(api, f"csrf_{uuid.uuid4().hex[:8]}")
    forged = api.post(
        f"/ui/pipelines/{pipeline_id}/active", data={"active": "false", "csrf_token": "0" * 64}
    )
    assert forged.status_code == 403
    assert api.get(f"/pipeline/{pipeline_id}").json()["active"] is True
