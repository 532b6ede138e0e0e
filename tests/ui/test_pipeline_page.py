"""The pipeline page in a browser: configuration, checks, the runs chart, and the actions."""

import uuid

import httpx

from tests.ui.conftest import Console
from tests.ui.data import create_pipeline, pipeline_with_history


def test_the_chart_has_a_point_per_run_a_band_and_the_flagged_run(
    console: Console, api: httpx.Client
) -> None:
    pipeline_id, runs, failed, slow = pipeline_with_history(api, uuid.uuid4().hex[:8])
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
    pipeline_id, _, _, slow = pipeline_with_history(api, uuid.uuid4().hex[:8])
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
