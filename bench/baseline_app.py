"""The reference app: each hot Watcher call doing only its irreducible database work.

Same server stack as Watcher (FastAPI, uvicorn, one process), the same JSON in and out, the
same tables. PostgreSQL through a raw asyncpg pool; SQLite through one aiosqlite connection
with Watcher's pragmas. Every figure in the benchmark report is a ratio to this app measured
in the same run. The database comes from BENCH_BASELINE_DATABASE_URL.

- `GET /hello`: no work at all (the framework floor).
- `POST /start_pipeline_execution`: one INSERT … RETURNING id.
- `POST /end_pipeline_execution`: one transaction of UPDATE execution + UPDATE pipeline.
- `POST /pipeline`: one SELECT by name (the read path of get-or-create).
"""

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import aiosqlite
import asyncpg
from fastapi import FastAPI, HTTPException, Response
from pydantic import BaseModel

POOL_SIZE = 10  # as Watcher's default pool (which may grow to twice this)


class StartIn(BaseModel):
    pipeline_id: int
    start_date: datetime | None = None


class EndIn(BaseModel):
    id: int
    end_date: datetime | None = None
    completed_successfully: bool | None = None
    inserts: int | None = None
    updates: int | None = None
    soft_deletes: int | None = None
    total_rows: int | None = None


class PipelineIn(BaseModel):
    name: str
    pipeline_type_name: str


class PostgresStore:
    START = (
        "INSERT INTO pipeline_execution (pipeline_id, start_date, date_recorded, hour_recorded) "
        "VALUES ($1, $2, $3, $4) RETURNING id"
    )
    FINISH = (
        "UPDATE pipeline_execution SET end_date = $2, completed_successfully = $3, inserts = $4, "
        "updates = $5, soft_deletes = $6, total_rows = $7, "
        "duration_seconds = round(extract(epoch FROM $2 - start_date)) "
        "WHERE id = $1 AND end_date IS NULL RETURNING pipeline_id, next_watermark"
    )
    ADVANCE = (
        "UPDATE pipeline SET watermark = coalesce($2, watermark), last_target_insert = $3, "
        "load_lineage = false WHERE id = $1"
    )
    PIPELINE = "SELECT id, active, load_lineage, watermark FROM pipeline WHERE name = $1"

    async def open(self, url: str) -> None:
        self.pool = await asyncpg.create_pool(url, min_size=POOL_SIZE, max_size=2 * POOL_SIZE)

    async def close(self) -> None:
        await self.pool.close()

    async def start(self, pipeline_id: int, start: datetime) -> int:
        return await self.pool.fetchval(self.START, pipeline_id, start, start.date(), start.hour)

    async def end(self, data: EndIn, end: datetime, succeeded: bool) -> bool:
        async with self.pool.acquire() as connection, connection.transaction():
            run = await connection.fetchrow(
                self.FINISH, data.id, end, succeeded, data.inserts, data.updates,
                data.soft_deletes, data.total_rows,
            )  # fmt: skip
            if run is None:
                return False
            if succeeded:
                await connection.execute(self.ADVANCE, run[0], run[1], end)
            return True

    async def pipeline(self, name: str) -> dict[str, Any] | None:
        row = await self.pool.fetchrow(self.PIPELINE, name)
        return dict(row) if row is not None else None


class SqliteStore:
    START = PostgresStore.START.replace("$1, $2, $3, $4", "?, ?, ?, ?")
    FINISH = (
        "UPDATE pipeline_execution SET end_date = ?1, completed_successfully = ?2, inserts = ?3, "
        "updates = ?4, soft_deletes = ?5, total_rows = ?6, duration_seconds = "
        "CAST(round((julianday(?1) - julianday(start_date)) * 86400) AS INTEGER) "
        "WHERE id = ?7 AND end_date IS NULL RETURNING pipeline_id, next_watermark"
    )
    ADVANCE = (
        "UPDATE pipeline SET watermark = coalesce(?, watermark), last_target_insert = ?, "
        "load_lineage = 0 WHERE id = ?"
    )
    PIPELINE = PostgresStore.PIPELINE.replace("$1", "?")

    async def open(self, path: str) -> None:
        self.connection = await aiosqlite.connect(path, isolation_level=None)
        for pragma in ("foreign_keys = ON", "journal_mode = WAL", "synchronous = FULL",
                       "busy_timeout = 30000"):  # fmt: skip
            await self.connection.execute(f"PRAGMA {pragma}")
        # One connection: a transaction must not take in another request's statements.
        self.lock = asyncio.Lock()

    async def close(self) -> None:
        await self.connection.close()

    async def start(self, pipeline_id: int, start: datetime) -> int:
        values = (pipeline_id, _text(start), start.date().isoformat(), start.hour)
        async with self.lock, self.connection.execute(self.START, values) as cursor:
            return (await cursor.fetchone())[0]

    async def end(self, data: EndIn, end: datetime, succeeded: bool) -> bool:
        values = (_text(end), succeeded, data.inserts, data.updates, data.soft_deletes,
                  data.total_rows, data.id)  # fmt: skip
        async with self.lock:
            await self.connection.execute("BEGIN IMMEDIATE")
            try:
                async with self.connection.execute(self.FINISH, values) as cursor:
                    run = await cursor.fetchone()
                if run is not None and succeeded:
                    await self.connection.execute(self.ADVANCE, (run[1], _text(end), run[0]))
                await self.connection.execute("COMMIT")
            except BaseException:
                await self.connection.execute("ROLLBACK")
                raise
        return run is not None

    async def pipeline(self, name: str) -> dict[str, Any] | None:
        async with self.connection.execute(self.PIPELINE, (name,)) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        return {"id": row[0], "active": bool(row[1]), "load_lineage": bool(row[2]),
                "watermark": row[3]}  # fmt: skip


def _text(moment: datetime) -> str:
    """Naive UTC text, the way Watcher's SQLite columns store times."""
    return moment.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def _store() -> tuple[PostgresStore | SqliteStore, str]:
    url = os.environ["BENCH_BASELINE_DATABASE_URL"]
    if url.startswith("sqlite:///"):
        return SqliteStore(), url.removeprefix("sqlite:///")
    return PostgresStore(), url


store, target = _store()


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    await store.open(target)
    try:
        yield
    finally:
        await store.close()


# FastAPI's native OpenTelemetry hooks off, as in Watcher: the reference does no extra work.
app = FastAPI(lifespan=lifespan, telemetry={"tracing": False, "metrics": False, "logs": False})


@app.get("/hello")
async def hello() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/start_pipeline_execution", status_code=201)
async def start(body: StartIn) -> dict[str, int]:
    return {"id": await store.start(body.pipeline_id, body.start_date or datetime.now(UTC))}


@app.post("/end_pipeline_execution", status_code=204)
async def end(body: EndIn) -> Response:
    succeeded = body.completed_successfully is not False
    if not await store.end(body, body.end_date or datetime.now(UTC), succeeded):
        raise HTTPException(404, f"pipeline execution {body.id} not found or already ended")
    return Response(status_code=204)


@app.post("/pipeline")
async def pipeline(body: PipelineIn) -> dict[str, Any]:
    found = await store.pipeline(body.name.strip().lower())
    if found is None:
        raise HTTPException(404, f"pipeline {body.name!r} not found")
    return found
