"""`watcher cleanup`, run as a user runs it: as a separate process."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import app_client, fresh_database
from tests.factories import create_pipeline
from tests.maintenance.conftest import run as run_at
from tests.maintenance.conftest import surviving
from tests.test_cli import run
from watcher_server import cli
from watcher_server.db import migrate
from watcher_server.settings import Settings


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    with fresh_database(tmp_path) as database_url:
        yield database_url


@pytest.fixture
def migrated_url(url: str) -> str:
    migrate.upgrade(url)
    return url


async def test_cleanup_from_the_command_line(migrated_url: str) -> None:
    url = migrated_url
    now = datetime.now(UTC)
    async with app_client(Settings(_env_file=None, database_url=url)) as http:
        pipeline_id = await create_pipeline(http, "cli cleanup")
        parent = await run_at(http, pipeline_id, now - timedelta(days=200))
        old = [parent, await run_at(http, pipeline_id, now - timedelta(days=199), parent=parent)]
        old.append(await run_at(http, pipeline_id, now - timedelta(days=120)))
        young = await run_at(http, pipeline_id, now - timedelta(days=10))

        dry = run("cleanup", "--retention-days", "90", "--dry-run", "--json", url=url)
        assert dry.returncode == 0, dry.stderr
        assert json.loads(dry.stdout)["total_pipeline_executions_deleted"] == 3
        assert await surviving(http, [*old, young]) == {*old, young}

        real = run("cleanup", "--retention-days", "90", "--batch-size", "1", url=url)
        assert real.returncode == 0, real.stderr
        assert "deleted 3 rows in 2 batches" in real.stdout
        assert "pipeline_execution" in real.stdout
        assert await surviving(http, [*old, young]) == {young}


@pytest.mark.parametrize(
    "arguments",
    [
        [],
        ["--retention-days", "30"],
        ["--retention-days", "90", "--batch-size", "0"],
        ["--retention-days", "90", "--batch-size", "100001"],
    ],
)
def test_bad_arguments_are_refused(arguments: list[str]) -> None:
    result = CliRunner().invoke(cli.app, ["cleanup", *arguments])
    assert result.exit_code == 2
    assert "retention-days" in result.output or "batch-size" in result.output


def test_an_unmigrated_database_is_refused(url: str) -> None:
    result = run("cleanup", "--retention-days", "90", url=url)
    assert result.returncode == 1
    assert "watcher db upgrade" in result.stderr
