"""Data sets written straight into the tables (bulk, not through the API), sized by flags.

Pipelines get ids 1..N and names `bench_pipeline_<id>` of type `bench`; the history is N
executions already ended, spread over the last 30 days. The same rows go to PostgreSQL
(COPY) and to SQLite (executemany), so the two databases are measured on the same data.
"""

import asyncio
import random
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import asyncpg

from bench.harness.databases import sqlite_path
from watcher_server.pipelines.schemas import PipelineCreate
from watcher_server.pipelines.service import config_digest

PIPELINE_TYPE = "bench"
PIPELINE_PREFIX = "bench_pipeline_"
HISTORY_DAYS = 30

EXECUTION_COLUMNS = (
    "id", "pipeline_id", "start_date", "end_date", "date_recorded", "hour_recorded",
    "duration_seconds", "completed_successfully", "inserts", "updates", "soft_deletes",
    "total_rows", "throughput", "watermark", "next_watermark",
)  # fmt: skip
PIPELINE_COLUMNS = (
    "id", "name", "pipeline_type_id", "watermark", "next_watermark", "input_hash", "created_at",
)  # fmt: skip


@dataclass(frozen=True)
class Dataset:
    pipelines: int
    executions: int
    seed: int = 8
    # The runs of the history: "batch" (1 s to 1 h, up to 100,000 rows), or "lifecycle": like
    # the runs the lifecycle workload makes (a few milliseconds, up to 1,000 rows), so that
    # those look normal against it, as a pipeline's runs do against its own history.
    runs: Literal["batch", "lifecycle"] = "batch"

    @property
    def pipeline_ids(self) -> range:
        return range(1, self.pipelines + 1)


def pipeline_digest() -> str:
    """The configuration digest Watcher stores for the body the `pipeline` workload sends, so
    that re-posting an existing pipeline is the read-only path."""
    body = PipelineCreate(name="any", pipeline_type_name=PIPELINE_TYPE)
    return config_digest(body.model_dump(exclude={"name", "next_watermark"}, exclude_none=True))


def pipeline_rows(count: int, now: datetime) -> Iterator[tuple[Any, ...]]:
    digest = pipeline_digest()
    for pipeline_id in range(1, count + 1):
        yield (pipeline_id, f"{PIPELINE_PREFIX}{pipeline_id}", 1, "0", "1", digest, now)


def history_rows(dataset: Dataset, now: datetime, first_id: int = 1) -> Iterator[tuple[Any, ...]]:
    """Ended executions, 95 % successful, shaped by `dataset.runs`."""
    rng = random.Random(dataset.seed)
    for offset in range(dataset.executions):
        start = now - timedelta(seconds=rng.uniform(3600, HISTORY_DAYS * 86400))
        if dataset.runs == "lifecycle":
            # As workload.lua ends them: updates = inserts % 7, ended by the next request.
            seconds = rng.uniform(0.002, 0.05)
            inserts = rng.randint(0, 1000)
            updates = inserts % 7
        else:
            seconds = rng.randint(1, 3600)
            inserts, updates = rng.randint(0, 100_000), rng.randint(0, 10_000)
        yield (
            first_id + offset, offset % dataset.pipelines + 1, start,
            start + timedelta(seconds=seconds), start.date(), start.hour, round(seconds),
            rng.random() < 0.95, inserts, updates, 0, inserts + updates,
            (inserts + updates) / seconds, str(offset), str(offset + 1),
        )  # fmt: skip


def running_rows(
    pipelines: range, count: int, first_id: int, now: datetime
) -> Iterator[tuple[Any, ...]]:
    """Executions started a minute ago and not ended yet, for workloads that end runs."""
    start = now - timedelta(minutes=1)
    for offset in range(count):
        pipeline_id = pipelines[offset % len(pipelines)]
        yield (first_id + offset, pipeline_id, start, None, start.date(), start.hour,
               None, None, None, None, None, None, None, "0", "1")  # fmt: skip


def load(url: str, dataset: Dataset) -> None:
    """Write the pipeline type, the pipelines and the history into the (migrated) database."""
    now = datetime.now(UTC)
    if url.startswith("sqlite"):
        _load_sqlite(url, dataset, now)
    else:
        asyncio.run(_load_postgres(url, dataset, now))


def add_running_executions(url: str, pipelines: range, count: int) -> range:
    """Insert `count` running executions of `pipelines`; their ids."""
    now = datetime.now(UTC)
    if url.startswith("sqlite"):
        with _sqlite(url) as connection:
            first = _sqlite_next_id(connection)
            _sqlite_insert(connection, "pipeline_execution", EXECUTION_COLUMNS,
                           running_rows(pipelines, count, first, now))  # fmt: skip
    else:
        first = asyncio.run(_postgres_add_running(url, pipelines, count, now))
    return range(first, first + count)


async def _load_postgres(url: str, dataset: Dataset, now: datetime) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(
            "INSERT INTO pipeline_type (id, name, created_at) VALUES (1, $1, $2)",
            PIPELINE_TYPE,
            now,
        )
        await connection.copy_records_to_table(
            "pipeline", records=pipeline_rows(dataset.pipelines, now), columns=PIPELINE_COLUMNS
        )
        await connection.copy_records_to_table(
            "pipeline_execution", records=history_rows(dataset, now), columns=EXECUTION_COLUMNS
        )
        for table in ("pipeline_type", "pipeline", "pipeline_execution"):
            await _postgres_reset_sequence(connection, table)
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


async def _postgres_add_running(url: str, pipelines: range, count: int, now: datetime) -> int:
    connection = await asyncpg.connect(url)
    try:
        async with connection.transaction():
            # A server may still be finishing the previous cell's starts: the lock waits for
            # them and holds new ones off, so the ids chosen here are free until committed.
            await connection.execute("LOCK TABLE pipeline_execution IN SHARE ROW EXCLUSIVE MODE")
            first = await connection.fetchval(
                "SELECT coalesce(max(id), 0) + 1 FROM pipeline_execution"
            )
            await connection.copy_records_to_table(
                "pipeline_execution",
                records=running_rows(pipelines, count, first, now),
                columns=EXECUTION_COLUMNS,
            )
            await _postgres_reset_sequence(connection, "pipeline_execution")
        await connection.execute("ANALYZE pipeline_execution")
        return first
    finally:
        await connection.close()


async def _postgres_reset_sequence(connection: asyncpg.Connection, table: str) -> None:
    await connection.execute(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
        f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
    )


def _load_sqlite(url: str, dataset: Dataset, now: datetime) -> None:
    with _sqlite(url) as connection:
        connection.execute(
            "INSERT INTO pipeline_type (id, name, created_at) VALUES (1, ?, ?)",
            (PIPELINE_TYPE, _sqlite_value(now)),
        )
        _sqlite_insert(
            connection, "pipeline", PIPELINE_COLUMNS, pipeline_rows(dataset.pipelines, now)
        )
        _sqlite_insert(
            connection, "pipeline_execution", EXECUTION_COLUMNS, history_rows(dataset, now)
        )
        connection.execute("ANALYZE")


class _sqlite:  # noqa: N801 - used like a function
    """A sqlite3 connection committed and closed on exit."""

    def __init__(self, url: str) -> None:
        self.connection = sqlite3.connect(sqlite_path(url), timeout=30)

    def __enter__(self) -> sqlite3.Connection:
        return self.connection

    def __exit__(self, *exc: object) -> None:
        try:
            if exc[0] is None:
                self.connection.commit()
        finally:
            self.connection.close()


def _sqlite_next_id(connection: sqlite3.Connection) -> int:
    return connection.execute("SELECT coalesce(max(id), 0) + 1 FROM pipeline_execution").fetchone()[
        0
    ]


def _sqlite_insert(
    connection: sqlite3.Connection,
    table: str,
    columns: Sequence[str],
    rows: Iterator[tuple[Any, ...]],
) -> None:
    placeholders = ", ".join("?" for _ in columns)
    connection.executemany(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})",
        (tuple(_sqlite_value(value) for value in row) for row in rows),
    )


def _sqlite_value(value: Any) -> Any:
    """Values as Watcher's SQLite columns hold them: naive UTC text for times."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value
