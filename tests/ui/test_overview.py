"""The overview in a browser: statuses as text, counts as filters, deep links, live refresh."""

import uuid

import httpx

from tests.ui.conftest import Console
from tests.ui.data import ago, create_pipeline, run


def test_statuses_are_text_and_counts_filter(console: Console, api: httpx.Client) -> None:
    tag = uuid.uuid4().hex[:8]
    broken = create_pipeline(api, f"ov_{tag}_broken")
    run(api, broken, ago(minutes=5), ago(minutes=4), succeeded=False)
    fine = create_pipeline(api, f"ov_{tag}_fine")
    run(api, fine, ago(minutes=5), ago(minutes=4))

    page = console.open(f"/ui?q=ov_{tag}")
    rows = page.locator("#pipelines tbody tr")
    assert rows.count() == 2
    assert rows.nth(0).get_by_role("link").first.inner_text() == f"ov_{tag}_broken"
    assert rows.nth(0).locator(".status").inner_text() == "failed"
    assert rows.nth(1).locator(".status").inner_text() == "healthy"

    page.get_by_role("link", name="1 failed").click()
    page.wait_for_url(f"**/ui?status=failed&q=ov_{tag}")
    assert page.locator("#pipelines tbody tr").count() == 1
    assert page.title() == "Failed pipelines · Watcher"


def test_a_deep_link_keeps_its_filters(console: Console, api: httpx.Client) -> None:
    tag = uuid.uuid4().hex[:8]
    create_pipeline(api, f"deep_{tag}_x", pipeline_type_name=f"deep_{tag}")
    create_pipeline(api, f"deep_{tag}_y")
    page = console.open(f"/ui?type=deep_{tag}&q=deep_{tag}")
    assert page.locator("#pipelines tbody tr").count() == 1
    assert page.get_by_label("Type").input_value() == f"deep_{tag}"
    assert page.get_by_label("Name contains").input_value() == f"deep_{tag}"


def test_the_table_refreshes_without_a_reload(console: Console, api: httpx.Client) -> None:
    tag = uuid.uuid4().hex[:8]
    create_pipeline(api, f"live_{tag}_first")
    page = console.open(f"/ui?q=live_{tag}")
    assert int(page.locator("#live").get_attribute("data-refresh-seconds")) <= 10
    page.evaluate("window.notReloaded = true")
    create_pipeline(api, f"live_{tag}_second")
    # The page refreshes on its timer, and at once when it becomes visible again.
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    page.get_by_role("link", name=f"live_{tag}_second").wait_for()
    assert page.evaluate("window.notReloaded") is True


def test_the_table_reads_without_javascript(browser, live_server: str, api: httpx.Client) -> None:
    tag = uuid.uuid4().hex[:8]
    create_pipeline(api, f"nojs_{tag}")
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{live_server}/ui?q=nojs_{tag}")
        assert page.locator("#pipelines tbody tr").count() == 1
        assert page.locator("#pipelines .status").inner_text() == "never run"
    finally:
        context.close()
