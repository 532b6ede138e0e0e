"""The migration that adds the daily totals fills them from the runs already recorded: after
it, the report is what the ends of the same runs made it."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import app_client, fresh_database
from tests.factories import create_pipeline, end_run, start_run
from watcher_server.db import migrate
from watcher_server.settings import Settings

BEFORE_TOTALS = "0008_api_keys"


async def _record_runs(settings: Settings) -> None:
    async with app_client(settings) as client:
        pipeline_id = await create_pipeline(client, "backfilled")
        started = datetime.now(UTC) - timedelta(days=3)
        for minutes, outcome in enumerate([True, True, False, True]):
            at = started + timedelta(days=minutes % 2, minutes=minutes)
            run_id = await start_run(client, pipeline_id, start_date=at.isoformat())
            end = (at + timedelta(seconds=30)).isoformat()
            ended = await end_run(
                client, run_id, end_date=end, completed_successfully=outcome, total_rows=minutes
            )
            assert ended.status_code == 204
        await start_run(client, pipeline_id)  # running: not in the report


async def _report(settings: Settings) -> dict[str, Any]:
    async with app_client(settings) as client:
        response = await client.get("/report/daily")
    assert response.status_code == 200
    return response.json()


def test_the_migration_fills_the_totals_from_existing_runs(tmp_path) -> None:
    with fresh_database(tmp_path) as url:
        migrate.upgrade(url)
        settings = Settings(_env_file=None, database_url=url, watcher_background_jobs=False)
        asyncio.run(_record_runs(settings))
        kept_up = asyncio.run(_report(settings))
        assert kept_up["totals"]["runs"] == 4
        assert kept_up["row_count"] == 2

        migrate.downgrade(url, BEFORE_TOTALS)
        migrate.upgrade(url)

        assert asyncio.run(_report(settings)) == kept_up
