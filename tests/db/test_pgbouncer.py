"""Watcher through a real PgBouncer in transaction pooling (PostgreSQL runs only).

PgBouncer gets two server connections, so that the app's twenty are shared among transactions
the way a busy pooler shares them.
"""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import asyncpg
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


async def _read(database: Database, number: int) -> None:
    async with database.autocommit() as conn:
        answer = await conn.execute(text("SELECT CAST(:n AS integer)"), {"n": number})
        assert answer.scalar_one() == number


async def _read_on_each_server_connection(url: str, database: Database) -> None:
    """Read twice on one client connection, once on each of PgBouncer's two server connections:
    other clients' open transactions hold the one the read must not use."""
    first_holder = await asyncpg.connect(url)
    second_holder = await asyncpg.connect(url)
    try:
        await first_holder.execute("BEGIN")  # holds one server connection
        await _read(database, 1)  # on the other one
        await second_holder.execute("BEGIN")  # which it now holds
        await first_holder.execute("COMMIT")
        await _read(database, 2)  # so this read runs on the first one
    finally:
        await database.dispose()
        await first_holder.close()
        await second_holder.close()


def test_asyncpg_defaults_break_behind_the_pooler(through_pgbouncer: str) -> None:
    # The statement prepared (and cached) on one server connection is not on the other.
    database = Database(through_pgbouncer, pool_size=1)
    with pytest.raises(DBAPIError, match=r"prepared statement .* does not exist"):
        asyncio.run(_read_on_each_server_connection(through_pgbouncer, database))


def test_statements_outside_transactions_work_with_the_setting(through_pgbouncer: str) -> None:
    database = Database(through_pgbouncer, pool_size=1, pgbouncer=True)
    asyncio.run(_read_on_each_server_connection(through_pgbouncer, database))


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
