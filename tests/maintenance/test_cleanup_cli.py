"""`watcher cleanup`, run as a user runs it: as a separate process."""

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import app_client, fresh_database
from tests.factories import create_pipeline
from tests.maintenance.conftest import overdue_run, surviving
from tests.maintenance.conftest import run as run_at
from tests.test_cli import run
from watcher_server import cli
from watcher_server.db import migrate
from watcher_server.maintenance.retention import OWN_RETENTION_KINDS
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


async def test_each_kind_keeps_its_own_retention(migrated_url: str) -> None:
    url = migrated_url
    settings = Settings(_env_file=None, database_url=url)
    started = datetime.now(UTC) - timedelta(days=30)
    async with app_client(settings) as http:
        pipeline_id = await create_pipeline(
            http, "cli kinds", timeliness_number=1, timeliness_datepart="minute"
        )
        run_id = await overdue_run(settings, pipeline_id, started, started + timedelta(hours=1))
        kinds = ["--timeliness-log-retention-days", "10", "--alert-retention-days", "5"]

        dry = run("cleanup", "--retention-days", "90", *kinds, "--dry-run", "--json", url=url)
        assert dry.returncode == 0, dry.stderr
        answer = json.loads(dry.stdout)
        assert answer["total_timeliness_pipeline_execution_logs_deleted"] == 1
        assert answer["rows_deleted"]["alert"] == 0  # the overdue alert was never sent
        days = [
            answer[f"{kind}_retention_days"]
            for kind in ("timeliness_log", "alert", "freshness_log")
        ]
        assert days == [10, 5, 90]
        assert list(answer["cutoffs"]) == ["runs", *OWN_RETENTION_KINDS]

        real = run("cleanup", "--retention-days", "90", *kinds, url=url)
        assert real.returncode == 0, real.stderr
        assert "deleted 1 rows in 1 batches" in real.stdout
        assert re.search(r"timeliness_log +\S+ \(10 days before now\)", real.stdout)
        assert re.search(r"timeliness_pipeline_execution_log +1\n", real.stdout)
        logs = await http.get(
            "/timeliness_pipeline_execution_log", params={"pipeline_id": pipeline_id}
        )
        assert logs.json() == []
        assert await surviving(http, [run_id]) == {run_id}


@pytest.mark.parametrize(
    ("arguments", "option"),
    [
        ([], "--retention-days"),
        (["--retention-days", "30"], "--retention-days"),
        (["--retention-days", "90", "--batch-size", "0"], "--batch-size"),
        (["--retention-days", "90", "--batch-size", "100001"], "--batch-size"),
        (["--retention-days", "90", "--timeliness-log-retention-days", "0"], "--timeliness-log"),
        (["--retention-days", "90", "--freshness-log-retention-days", "36501"], "--freshness-log"),
        (["--retention-days", "90", "--anomaly-result-retention-days", "1.5"], "--anomaly-result"),
        (["--retention-days", "90", "--alert-retention-days", "true"], "--alert-retention-days"),
    ],
)
def test_bad_arguments_are_refused_naming_the_option(arguments: list[str], option: str) -> None:
    result = CliRunner().invoke(cli.app, ["cleanup", *arguments])
    assert result.exit_code == 2
    assert option in result.output


def test_an_unmigrated_database_is_refused(url: str) -> None:
    result = run("cleanup", "--retention-days", "90", url=url)
    assert result.returncode == 1
    assert "watcher db upgrade" in result.stderr
