"""Browser tests: a real Watcher server over the test database, driven by Debian's Chromium
through Playwright.

Every test gets a fresh page whose requests may only go to the server: any other request is
aborted and recorded, and the test fails at teardown if there was one or if the page logged a
JavaScript error. Playwright's own browser download is never used (it cannot reach the
internet here); `.ci/run` installs Debian's `chromium`.
"""

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from bench.harness.chromium import CHROMIUM, CHROMIUM_ARGS

from tests.processes import watcher_server

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "images"


@pytest.fixture(scope="session")
def live_server(database_url: str) -> Iterator[str]:
    """Watcher served by uvicorn on a free port, background jobs off (tests run checks and
    detection through the API when they need them)."""
    with watcher_server(database_url, WATCHER_BACKGROUND_JOBS="false") as base:
        yield base


@pytest.fixture(scope="session")
def api(live_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server, timeout=30) as client:
        yield client


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last: Playwright's sync API keeps an event loop running in the main
    thread while the browser is open, which the asyncio tests must never meet."""
    here = Path(__file__).parent
    items.sort(key=lambda item: here in Path(item.path).parents)


@pytest.fixture(scope="session")
def browser(live_server: str) -> Iterator[Any]:
    """One Chromium for the whole run (it takes seconds to start); each test has its own
    context (cookies, storage) and page. The server (and so the database, whose set-up runs
    its own event loop) comes first."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium package")
        pytest.skip(f"browser tests need {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Console:
    """A browser page on the server, recording what must never happen."""

    page: Any
    base: str
    external_requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # Statuses a test expects a page to answer with: Chromium logs each in the console.
    expected_statuses: set[int] = field(default_factory=set)

    def expect_status(self, status: int) -> None:
        self.expected_statuses.add(status)

    def script_errors(self) -> list[str]:
        return [
            error
            for error in self.errors
            if not any(f"status of {code} " in error for code in self.expected_statuses)
        ]

    def open(self, path: str, status: int = 200) -> Any:
        if status != 200:
            self.expect_status(status)
        response = self.page.goto(self.base + path)
        assert response is not None, path
        assert response.status == status, (path, response.status)
        return self.page

    def check_accessibility(self) -> list[dict[str, Any]]:
        """Serious and critical axe-core violations of the page as it is now."""
        if not self.page.evaluate("typeof axe !== 'undefined'"):
            self.page.add_script_tag(content=AXE.read_text())
        result = self.page.evaluate(
            "async () => await axe.run(document, {resultTypes: ['violations']})"
        )
        return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]

    def screenshot(self, name: str, full_page: bool = True) -> None:
        """Save docs/images/<name>.png when WATCHER_SCREENSHOTS=1 (docs/console.md shows them)."""
        if os.environ.get("WATCHER_SCREENSHOTS") == "1":
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def open_console(browser: Any, live_server: str, **context_options: Any) -> Iterator[Console]:
    context = browser.new_context(viewport=DESKTOP, **context_options)
    page = context.new_page()
    console = Console(page, live_server)
    origin = urlsplit(live_server).netloc

    def guard(route: Any) -> None:
        url = route.request.url
        if urlsplit(url).netloc == origin and url.startswith(live_server):
            route.continue_()
        else:
            console.external_requests.append(url)
            route.abort()

    context.route("**/*", guard)
    page.on(
        "console", lambda message: message.type == "error" and console.errors.append(message.text)
    )
    page.on("pageerror", lambda error: console.errors.append(str(error)))
    try:
        yield console
    finally:
        context.close()
    assert console.external_requests == [], "requests left the server's origin"
    assert console.script_errors() == [], "the page logged JavaScript errors"


@pytest.fixture
def console(browser: Any, live_server: str) -> Iterator[Console]:
    yield from open_console(browser, live_server)


@pytest.fixture
def dark_console(browser: Any, live_server: str) -> Iterator[Console]:
    yield from open_console(browser, live_server, color_scheme="dark")
