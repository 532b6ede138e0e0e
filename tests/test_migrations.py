"""One migration tree that builds, removes and rebuilds the schema on both databases."""

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import fresh_database
from watcher_server.db import migrate
from watcher_server.db.url import normalize_database_url
from watcher_server.models import Base


def schema_differences(url: str) -> list:
    async def compare() -> list:
        engine = create_async_engine(normalize_database_url(url))
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(
                    lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
                )
        finally:
            await engine.dispose()

    return asyncio.run(compare())


def table_names(url: str) -> set[str]:
    async def names() -> set[str]:
        engine = create_async_engine(normalize_database_url(url))
        try:
            async with engine.connect() as conn:
                return set(await conn.run_sync(lambda sync: sync.dialect.get_table_names(sync)))
        finally:
            await engine.dispose()

    return asyncio.run(names())


def test_upgrade_downgrade_upgrade(tmp_path) -> None:
    with fresh_database(tmp_path) as url:
        migrate.upgrade(url)
        assert migrate.current_revision(url) == migrate.head_revision()
        assert {
            "pipeline_type",
            "pipeline",
            "pipeline_execution",
            "address_type",
            "address",
            "address_lineage",
            "address_lineage_closure",
            "timeliness_pipeline_execution_log",
            "freshness_pipeline_log",
            "alert",
            "alert_delivery",
            "job_state",
        } <= table_names(url)
        assert {
            "anomaly_detection_rule",
            "anomaly_detection_result",
            "anomaly_detection_pending",
        } <= table_names(url)

        migrate.downgrade(url, "base")
        assert migrate.current_revision(url) is None
        assert table_names(url) <= {"alembic_version"}

        migrate.upgrade(url)
        assert migrate.current_revision(url) == migrate.head_revision()


def test_migrations_match_the_models(database_url: str) -> None:
    assert schema_differences(database_url) == []
