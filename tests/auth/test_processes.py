"""Access control as deployed: `watcher serve` processes on one database."""

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.auth.conftest import bearer
from tests.conftest import fresh_database
from tests.processes import free_port, watcher_server
from tests.test_cli import run
from watcher_server.auth import tokens
from watcher_server.db import migrate


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[str]:
    """A migrated database with no key in it."""
    with fresh_database(tmp_path) as url:
        migrate.upgrade(url)
        yield url


def test_serving_every_interface_without_a_key_is_refused_in_one_line(
    empty_database: str,
) -> None:
    refused = run("serve", "--host", "0.0.0.0", "--port", str(free_port()), url=empty_database)

    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1
    assert refused.stderr.startswith("error: API keys are required")
    assert "watcher keys create --name admin --scope admin" in refused.stderr


def test_a_revoked_key_is_refused_within_a_second_by_another_process(database_url: str) -> None:
    """Two servers on one database: a key revoked through one stops working on the other."""
    admin = tokens.generate()
    # One listens on every interface (keys required by default), the other is told to.
    first = watcher_server(database_url, HOST="0.0.0.0", WATCHER_BOOTSTRAP_ADMIN_KEY=admin)
    second = watcher_server(
        database_url, WATCHER_AUTH="required", WATCHER_BOOTSTRAP_ADMIN_KEY=admin
    )
    with first as one, second as other, httpx.Client(timeout=10) as http:
        created = http.post(
            f"{one}/api_key", json={"name": f"ci {admin[-8:]}", "scope": "read"},
            headers=bearer(admin),
        )  # fmt: skip
        key = created.json()
        assert http.get(f"{other}/pipeline").status_code == 401
        probe = f"{other}/pipeline/987654321"  # cheap: 404 to a key, 401 without one
        assert http.get(probe, headers=bearer(key["token"])).status_code == 404

        http.delete(f"{one}/api_key/{key['id']}", headers=bearer(admin)).raise_for_status()
        revoked_at = last_accepted = time.monotonic()
        while time.monotonic() - revoked_at < 3:
            sent_at = time.monotonic()
            if http.get(probe, headers=bearer(key["token"])).status_code == 401:
                break
            last_accepted = sent_at
            time.sleep(0.02)

    assert last_accepted - revoked_at < 1.0
    assert sent_at - revoked_at < 1.5  # and then refused
