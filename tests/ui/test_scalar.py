"""/scalar renders Scalar's reference of our API from the vendored bundle, and the page asks
nothing of any other origin (the console fixture aborts and records such requests)."""

from urllib.parse import urlsplit

from tests.ui.conftest import Console


def test_scalar_renders_our_api_without_leaving_the_origin(console: Console) -> None:
    requested: list[str] = []
    console.page.on("request", lambda request: requested.append(request.url))
    page = console.open("/scalar")
    page.get_by_role("heading", name="Watcher").first.wait_for()
    # One of our operations, listed once its group is opened, and its section.
    page.get_by_role("button", name="Open Group - executions").click()
    page.get_by_text("Start Pipeline Execution", exact=True).first.click()
    page.locator("h3", has_text="Start Pipeline Execution").wait_for()
    page.wait_for_load_state("networkidle")
    console.screenshot("scalar", full_page=False)
    # Its request client opens in the page, without Scalar's proxy or any other server.
    page.get_by_role("button", name="Test Request").first.click()
    page.get_by_role("dialog").first.wait_for()
    page.wait_for_load_state("networkidle")
    origin = urlsplit(console.base).netloc
    assert {urlsplit(url).netloc for url in requested} == {origin}, requested
    paths = {urlsplit(url).path for url in requested}
    assert "/openapi.json" in paths
    assert any(path.endswith("/standalone.js") for path in paths)
