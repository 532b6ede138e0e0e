"""Every page, in both themes: no serious or critical axe-core violation, and no sideways
scrolling on a phone. With WATCHER_SCREENSHOTS=1 this also refreshes docs/images/ (the
screenshots of docs/console.md)."""

import httpx
import pytest

from tests.ui.conftest import PHONE, Console
from tests.ui.data import console_tour


@pytest.fixture(scope="module")
def pages(api: httpx.Client) -> dict[str, str]:
    return console_tour(api)


def _open(console: Console, pages: dict[str, str], name: str) -> None:
    page = console.open(pages[name], status=404 if name == "not-found" else 200)
    if name == "pipeline":
        page.locator("#charts[data-drawn]").wait_for(state="attached")


PAGES = ["overview", "pipeline", "run", "alerts", "diagnostics", "not-found"]


@pytest.mark.parametrize("name", PAGES)
def test_every_page_in_both_themes_and_on_a_phone(
    console: Console, pages: dict[str, str], name: str
) -> None:
    _open(console, pages, name)
    assert console.check_accessibility() == [], "light theme"
    console.screenshot(name)
    console.page.emulate_media(color_scheme="dark")
    assert console.check_accessibility() == [], "dark theme"
    if name in ("overview", "pipeline"):
        console.screenshot(f"{name}-dark")
    console.page.emulate_media(color_scheme="light")
    console.page.set_viewport_size(PHONE)
    assert console.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    if name == "overview":
        console.screenshot("overview-phone")
