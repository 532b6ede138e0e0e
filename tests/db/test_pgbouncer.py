"""Watcher through a real PgBouncer in transaction pooling (PostgreSQL runs only).

PgBouncer gets two server connections, so that the app's twenty are shared among transactions
the way a busy pooler shares them.
"""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from bench.harness import pgbouncer
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.conftest import TEST_DATABASE_URL, app_client, fresh_database
from tests.factories import create_pipeline, end_run, start_run
from watcher_server.db import Database, migrate
from watcher_server.settings import Settings

pytestmark = [
    pytest.mark.skipif(
        not TEST_DATABASE_URL, reason="PostgreSQL runs only: set WATCHER_TEST_DATABASE_URL"
    ),
    pytest.mark.skipif(not pgbouncer.available(), reason="needs pgbouncer (apt-get install)"),
]


@pytest.fixture(scope="module")
def through_pgbouncer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh database, migrated through PgBouncer as `watcher db upgrade` may be; the URL
    through it."""
    with (
        fresh_database(Path(tmp_path_factory.mktemp("pgbouncer"))) as url,
        pgbouncer.pgbouncer(url, pool_size=2) as via,
    ):
        migrate.upgrade(via)
        yield via


async def _parameterised_reads(database: Database, count: int) -> None:
    async def read(number: int) -> None:
        async with database.autocommit() as conn:
            answer = await conn.execute(text("SELECT CAST(:n AS integer)"), {"n": number})
            assert answer.scalar_one() == number

    try:
        outcomes = await asyncio.gather(*(read(n) for n in range(count)), return_exceptions=True)
    finally:
        await database.dispose()
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome


def test_asyncpg_defaults_break_behind_the_pooler(through_pgbouncer: str) -> None:
    # Shows that this PgBouncer shares server connections between transactions: without the
    # setting, prepared statements land where they do not exist (or their name is taken).
    with pytest.raises(DBAPIError, match="prepared statement"):
        asyncio.run(_parameterised_reads(Database(through_pgbouncer), 200))


def test_statements_outside_transactions_work_with_the_setting(through_pgbouncer: str) -> None:
    asyncio.run(_parameterised_reads(Database(through_pgbouncer, pgbouncer=True), 200))


async def test_the_api_and_the_checks_work_through_the_pooler(
    through_pgbouncer: str, unique: str
) -> None:
    settings = Settings(
        _env_file=None,
        database_url=through_pgbouncer,
        database_pgbouncer=True,
        watcher_background_jobs=False,
    )
    async with app_client(settings) as client:
        pipeline_ids = await asyncio.gather(
            *(create_pipeline(client, f"pooled-{unique}-{n}") for n in range(10))
        )

        async def lifecycle(pipeline_id: int) -> int:
            execution_id = await start_run(client, pipeline_id)
            response = await end_run(client, execution_id, completed_successfully=True)
            assert response.status_code == 204, response.text
            return execution_id

        # The checks take a transaction-level advisory lock and stream rows from a cursor.
        checks = [client.post("/timeliness"), client.post("/freshness")] * 3
        *runs, answers = await asyncio.gather(
            *(lifecycle(pipeline_id) for pipeline_id in pipeline_ids * 5),
            asyncio.gather(*checks),
        )
        assert [answer.status_code for answer in answers] == [200] * len(checks)
        assert len(set(runs)) == 50
        pipeline = await client.get(f"/pipeline/{pipeline_ids[0]}")
        assert pipeline.status_code == 200, pipeline.text
