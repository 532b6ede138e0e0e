"""`watcher keys`: create, list and revoke from a terminal (run in process: each command is
a typer call reading DATABASE_URL, as when it runs on its own)."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import fresh_database
from watcher_server.auth import tokens
from watcher_server.cli import app
from watcher_server.db import migrate


@pytest.fixture
def keys(tmp_path: Path) -> Iterator:
    """`keys(*args)`: run `watcher keys ARGS` on a migrated database with no key in it."""
    with fresh_database(tmp_path) as url:
        migrate.upgrade(url)
        runner = CliRunner()
        yield lambda *args: runner.invoke(app, ["keys", *args], env={"DATABASE_URL": url})


def test_create_list_and_revoke(keys) -> None:
    created = keys("create", "--name", "airflow", "--scope", "write")
    expiring = keys("create", "--name", "ci", "--scope", "read", "--expires-in", "90d")
    token = created.stdout.strip()
    listed = keys("list").stdout
    by_name = keys("revoke", "airflow")
    by_id = keys("revoke", "2")
    relisted = keys("list").stdout.splitlines()

    assert created.exit_code == expiring.exit_code == 0, created.output + expiring.output
    assert tokens.looks_like_token(token)
    assert "store the token now" in created.stderr
    assert token not in listed
    assert listed.splitlines()[0].split() == [
        "id", "name", "scope", "created", "expires", "last", "used", "revoked"
    ]  # fmt: skip
    assert listed.splitlines()[1].split()[1:3] == ["airflow", "write"]
    assert listed.splitlines()[2].count("UTC") == 2  # created and expires; never used
    assert by_name.stdout.startswith("revoked key 1 (airflow) at ")
    assert by_id.stdout.startswith("revoked key 2 (ci) at ")
    assert all(line.endswith("UTC") for line in relisted[1:])  # both revoked


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", "x", "--scope", "owner"], "--scope: Input should be 'read', 'write' or"),
        (["--name", "x", "--scope", "read", "--expires-in", "3 days"], "--expires-in: must be"),
        (["--name", "x", "--scope", "read", "--expires-in", "0s"], "expires_in: must be between"),
    ],
)
def test_bad_options_are_one_line_and_create_nothing(keys, args: list[str], message: str) -> None:
    result = keys("create", *args)

    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {message}")
    assert result.stderr.count("\n") == 1
    assert result.stdout == ""
    assert len(keys("list").stdout.splitlines()) == 1  # the header alone


def test_a_taken_name_and_an_unknown_key_are_refused(keys) -> None:
    keys("create", "--name", "airflow", "--scope", "write")

    taken = keys("create", "--name", "airflow", "--scope", "read")
    unknown = keys("revoke", "nobody")

    assert (taken.exit_code, taken.stderr) == (
        1,
        "error: an API key named 'airflow' exists; choose another name\n",
    )
    assert (unknown.exit_code, unknown.stderr) == (
        1,
        "error: no API key has the name or id 'nobody'\n",
    )
