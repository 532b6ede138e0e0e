"""The console of a server that requires keys: sign in with a token, a session cookie, read-only
pages for a read key, actions for a write key, sign out, and a revoked key's session ended."""

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.processes import watcher_server
from tests.ui.conftest import Console, open_console
from tests.ui.data import create_pipeline
from watcher_server.auth import tokens

ADMIN = tokens.generate()


@pytest.fixture(scope="module")
def keyed_server(database_url: str) -> Iterator[str]:
    with watcher_server(
        database_url,
        WATCHER_AUTH="required",
        WATCHER_BOOTSTRAP_ADMIN_KEY=ADMIN,
        WATCHER_BACKGROUND_JOBS="false",
    ) as base:
        yield base


@pytest.fixture(scope="module")
def admin_api(keyed_server: str) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {ADMIN}"}
    with httpx.Client(base_url=keyed_server, headers=headers, timeout=30) as client:
        yield client


@pytest.fixture
def keyed_console(browser: Any, keyed_server: str) -> Iterator[Console]:
    yield from open_console(browser, keyed_server)


def new_key(api: httpx.Client, scope: str) -> dict[str, Any]:
    body = {"name": f"console {scope} {uuid.uuid4().hex[:8]}", "scope": scope}
    response = api.post("/api_key", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def sign_in(console: Console, token: str) -> Any:
    page = console.page
    page.get_by_label("API key").fill(token)
    page.get_by_role("button", name="Sign in").click()
    return page


def test_a_read_key_signs_in_sees_no_actions_and_signs_out(
    keyed_console: Console, admin_api: httpx.Client
) -> None:
    pipeline_id = create_pipeline(admin_api, f"signed_{uuid.uuid4().hex[:8]}")
    key = new_key(admin_api, "read")

    page = keyed_console.open(f"/ui/pipelines/{pipeline_id}", status=401)
    assert page.get_by_role("heading", name="Sign in").is_visible()
    assert keyed_console.check_accessibility() == []
    keyed_console.screenshot("console-sign-in")
    sign_in(keyed_console, "wat_" + "0" * 43)
    assert page.get_by_role("alert").inner_text() == "This token is unknown, expired or revoked."

    sign_in(keyed_console, key["token"])
    page.wait_for_url(f"**/ui/pipelines/{pipeline_id}")
    assert page.locator(".who").inner_text() == f"{key['name']} · read"
    keyed_console.screenshot("console-read-only")
    assert keyed_console.check_accessibility() == []
    assert page.get_by_role("heading", name="Checks").is_visible()
    assert page.locator("main form").count() == 0  # no action for a read key
    [cookie] = [c for c in page.context.cookies() if c["name"] == "watcher_session"]
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["secure"]) == (True, "Strict", False)
    assert 11.9 * 3600 < cookie["expires"] - time.time() <= 12 * 3600
    assert key["token"] not in cookie["value"]

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/ui/login")
    assert keyed_console.open("/ui", status=401).get_by_label("API key").is_visible()


def test_a_write_key_keeps_the_actions_and_loses_them_when_revoked(
    keyed_console: Console, admin_api: httpx.Client
) -> None:
    pipeline_id = create_pipeline(admin_api, f"writer_{uuid.uuid4().hex[:8]}")
    key = new_key(admin_api, "write")
    page = keyed_console.open("/ui/login")
    sign_in(keyed_console, key["token"])
    page.wait_for_url("**/ui")

    keyed_console.open(f"/ui/pipelines/{pipeline_id}")
    page.get_by_role("button", name="Deactivate").click()  # its CSRF token still checked
    page.wait_for_url(f"**/ui/pipelines/{pipeline_id}?saved=active#checks")
    assert admin_api.get(f"/pipeline/{pipeline_id}").json()["active"] is False

    admin_api.delete(f"/api_key/{key['id']}").raise_for_status()
    time.sleep(1.0)
    keyed_console.open(f"/ui/pipelines/{pipeline_id}", status=401)
    assert page.get_by_label("API key").is_visible()
