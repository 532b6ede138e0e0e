"""The plug-in points: a table joins cleanup with one entry, and a forgotten entry is reported."""

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Boolean, Column, ForeignKey, MetaData, Table, func, insert, select
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import app_client, fresh_database
from tests.factories import create_pipeline
from tests.maintenance.conftest import run, surviving
from watcher_server.db import Database, migrate
from watcher_server.db.types import BigId, UTCDateTime
from watcher_server.db.url import normalize_database_url
from watcher_server.maintenance.registry import (
    EXECUTIONS,
    REGISTRY,
    CleanupRegistry,
    ExecutionChild,
    ExecutionReference,
    StandaloneLog,
    registry_problems,
)
from watcher_server.maintenance.retention import Retention
from watcher_server.maintenance.service import clean_logs
from watcher_server.models import Base
from watcher_server.settings import Settings

PROBES = MetaData()
run_log = Table(  # like timeliness_pipeline_execution_log
    "probe_run_log",
    PROBES,
    Column("id", BigId, primary_key=True),
    Column("pipeline_execution_id", BigId, ForeignKey(EXECUTIONS.c.id), index=True),
)
alert = Table(  # like the alert outbox: its own retention, and it keeps the run it names
    "probe_alert",
    PROBES,
    Column("id", BigId, primary_key=True),
    Column("pipeline_execution_id", BigId, ForeignKey(EXECUTIONS.c.id), index=True),
    Column("created_at", UTCDateTime, index=True),
    Column("delivered", Boolean),
)
freshness_log = Table(
    "probe_freshness_log",
    PROBES,
    Column("id", BigId, primary_key=True),
    Column("created_at", UTCDateTime, index=True),
)
PROBE_REGISTRY = CleanupRegistry(
    execution_children=(
        ExecutionChild(
            run_log,
            "pipeline_execution_id",
            seed_counter="total_timeliness_pipeline_execution_logs_deleted",
        ),
    ),
    execution_references=(ExecutionReference(alert, "pipeline_execution_id"),),
    standalone_logs=(
        StandaloneLog(
            alert, "created_at", "alert", only=lambda table, _: table.c.delivered.is_(True)
        ),
        StandaloneLog(
            freshness_log,
            "created_at",
            "freshness_log",
            seed_counter="total_freshness_pipeline_logs_deleted",
        ),
    ),
)


def test_every_table_that_refers_to_a_cleaned_table_is_covered() -> None:
    """Fails when a table referring to pipeline_execution (or to a cleaned log) has no entry in
    maintenance/registry.py: cleanup would otherwise fail on its foreign key."""
    assert registry_problems(Base.metadata, REGISTRY) == []


def test_a_missing_entry_or_index_is_reported() -> None:
    assert registry_problems(PROBES, PROBE_REGISTRY) == []

    missing = registry_problems(PROBES, CleanupRegistry())
    assert [problem.split(" refers")[0] for problem in missing] == [
        "probe_run_log.pipeline_execution_id",
        "probe_alert.pipeline_execution_id",
    ]

    extra = MetaData()
    unindexed = Table(
        "probe_unindexed",
        extra,
        Column("id", BigId, primary_key=True),
        Column("run_id", BigId, ForeignKey(EXECUTIONS.c.id)),
    )
    Table(
        "probe_attempt",
        extra,
        Column("id", BigId, primary_key=True),
        Column("alert_id", BigId, ForeignKey(alert.c.id, ondelete="RESTRICT"), index=True),
    )
    Table(
        "probe_cascading",
        extra,
        Column("id", BigId, primary_key=True),
        Column("alert_id", BigId, ForeignKey(alert.c.id, ondelete="CASCADE"), index=True),
    )
    registry = CleanupRegistry(
        execution_children=(ExecutionChild(unindexed, "run_id"),),
        standalone_logs=PROBE_REGISTRY.standalone_logs,
    )
    assert sorted(registry_problems(extra, registry)) == [
        "probe_attempt.alert_id refers to probe_alert: give the foreign key ON DELETE CASCADE "
        "or SET NULL",
        "probe_unindexed.run_id is not the first column of an index: every batch would scan "
        "probe_unindexed",
    ]


@pytest.fixture
def probe_database(tmp_path: Path) -> Iterator[str]:
    """A migrated database of its own, with the probe tables beside Watcher's."""
    with fresh_database(tmp_path) as url:
        migrate.upgrade(url)

        async def create() -> None:
            engine = create_async_engine(normalize_database_url(url))
            try:
                async with engine.begin() as conn:
                    await conn.run_sync(PROBES.create_all)
            finally:
                await engine.dispose()

        asyncio.run(create())
        yield url


NOW = datetime(2030, 1, 1, tzinfo=UTC)
OLD = NOW - timedelta(days=200)
YOUNG = NOW - timedelta(days=10)


async def test_plugged_in_tables_are_cleaned_by_their_rules(probe_database: str) -> None:
    settings = Settings(_env_file=None, database_url=probe_database)
    async with app_client(settings, clock=lambda: NOW) as http:
        pipeline_id = await create_pipeline(http, "probed")
        runs = {name: await run(http, pipeline_id, OLD) for name in ("logged", "undelivered")}
        runs |= {name: await run(http, pipeline_id, OLD) for name in ("delivered", "recent")}
        runs["young"] = await run(http, pipeline_id, YOUNG)
        runs["parent"] = await run(http, pipeline_id, OLD)
        runs["child"] = await run(http, pipeline_id, OLD, parent=runs["parent"])
        db = Database(probe_database)
        try:
            async with db.transaction() as conn:
                await conn.execute(
                    insert(run_log),
                    [
                        {"pipeline_execution_id": runs[name]}
                        for name in ("logged", "logged", "young")
                    ],
                )
                await conn.execute(
                    insert(alert),
                    [
                        _alert(runs["undelivered"], OLD, delivered=False),
                        _alert(runs["delivered"], OLD, delivered=True),
                        _alert(runs["recent"], YOUNG, delivered=True),
                        _alert(runs["child"], OLD, delivered=False),
                        _alert(None, OLD, delivered=True),
                        _alert(None, OLD, delivered=False),
                    ],
                )
                await conn.execute(
                    insert(freshness_log), [{"created_at": at} for at in [OLD] * 3 + [YOUNG] * 2]
                )

            retention = Retention(90)
            dry = await clean_logs(db, NOW, retention, 2, dry_run=True, registry=PROBE_REGISTRY)
            real = await clean_logs(db, NOW, retention, 2, registry=PROBE_REGISTRY)

            expected = {
                "pipeline_execution": 2,  # "logged" and "delivered"
                "probe_run_log": 2,
                "probe_alert": 2,  # delivered and old: the run's and the run-less one
                "probe_freshness_log": 3,
            }
            assert (dry.rows, real.rows) == (expected, expected)
            assert real.counters["total_timeliness_pipeline_execution_logs_deleted"] == 2
            assert real.counters["total_freshness_pipeline_logs_deleted"] == 3
            assert real.counters["total_pipeline_executions_deleted"] == 2
            kept = {runs[name] for name in ("undelivered", "recent", "young", "parent", "child")}
            assert await surviving(http, list(runs.values())) == kept
            assert await _count_rows(db) == {
                "probe_run_log": 1,
                "probe_alert": 4,
                "probe_freshness_log": 2,
            }
        finally:
            await db.dispose()


def _alert(run_id: int | None, at: datetime, *, delivered: bool) -> dict[str, Any]:
    return {"pipeline_execution_id": run_id, "created_at": at, "delivered": delivered}


async def _count_rows(db: Database) -> dict[str, int]:
    async with db.transaction() as conn:
        return {
            table.name: (await conn.execute(select(func.count()).select_from(table))).scalar_one()
            for table in (run_log, alert, freshness_log)
        }
