"""The console's frame: navigation, titles, static files, themes, narrow screens, 404 pages."""

import httpx

from tests.ui.conftest import PHONE, Console
from tests.ui.data import create_pipeline


def test_the_root_stays_the_json_health_check(api: httpx.Client) -> None:
    response = api.get("/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_static_files_are_served_from_the_package(api: httpx.Client) -> None:
    css = api.get("/ui/static/console.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    chart = api.get("/ui/static/vendor/uplot-1.6.32/uPlot.iife.min.js")
    assert chart.status_code == 200
    assert api.get("/ui/static/vendor/uplot-1.6.32/LICENSE").status_code == 200
    assert api.get("/ui/static/nothing.js").status_code == 404


def test_the_navigation_bar_links_every_page(console: Console) -> None:
    page = console.open("/ui")
    nav = page.get_by_role("navigation", name="Main")
    links = {
        link.inner_text(): link.get_attribute("href") for link in nav.get_by_role("link").all()
    }
    assert links["Overview"] == "/ui"
    assert links["Alerts"] == "/ui/alerts"
    assert links["Diagnostics"] == "/ui/diagnostics"
    assert nav.get_by_role("link", name="Overview").get_attribute("aria-current") == "page"
    assert page.title() == "Pipelines overview · Watcher"


def test_an_unknown_address_answers_a_404_page(console: Console) -> None:
    page = console.open("/ui/no/such/page", status=404)
    assert page.get_by_role("heading", level=1).inner_text() == "Not found"
    assert page.title() == "Not found · Watcher"


def test_dark_theme_follows_the_system_setting(console: Console, dark_console: Console) -> None:
    def background(c: Console) -> str:
        page = c.open("/ui")
        return page.evaluate("getComputedStyle(document.body).backgroundColor")

    assert background(console) != background(dark_console)


def test_a_phone_screen_does_not_scroll_sideways(console: Console, api: httpx.Client) -> None:
    create_pipeline(api, "ui_layout_a_pipeline_with_a_rather_long_name_to_wrap")
    console.page.set_viewport_size(PHONE)
    page = console.open("/ui")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
