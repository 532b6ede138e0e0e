"""Every SQL statement on pipeline_type and pipeline."""

from typing import Any

from sqlalchemy import BigInteger, Row, bindparam, exists, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from watcher_server.db.upsert import insert_if_absent
from watcher_server.models import Pipeline, PipelineType

pipeline_types = PipelineType.__table__
pipelines = Pipeline.__table__


async def get_type(conn: AsyncConnection, type_id: int) -> Row[Any] | None:
    return (
        await conn.execute(select(pipeline_types).where(pipeline_types.c.id == type_id))
    ).first()


async def get_type_id_by_name(conn: AsyncConnection, name: str) -> int | None:
    statement = select(pipeline_types.c.id).where(pipeline_types.c.name == name)
    return (await conn.execute(statement)).scalar_one_or_none()


async def insert_type_if_absent(conn: AsyncConnection, values: dict[str, Any]) -> int | None:
    return await insert_if_absent(conn, pipeline_types, values, ["name"])


async def list_types(conn: AsyncConnection, limit: int, offset: int) -> list[Row[Any]]:
    statement = select(pipeline_types).order_by(pipeline_types.c.id).limit(limit).offset(offset)
    return list(await conn.execute(statement))


async def update_type(conn: AsyncConnection, type_id: int, values: dict[str, Any]) -> Row[Any]:
    statement = (
        update(pipeline_types)
        .where(pipeline_types.c.id == type_id)
        .values(**values)
        .returning(*pipeline_types.c)
    )
    return (await conn.execute(statement)).one()


async def get_pipeline(conn: AsyncConnection, pipeline_id: int) -> Row[Any] | None:
    return (await conn.execute(select(pipelines).where(pipelines.c.id == pipeline_id))).first()


# Built once: POST /pipeline runs it on every pipeline run, and a prebuilt statement keeps
# its SQLAlchemy cache key instead of recomputing it per call.
_SYNC_STATE = select(
    pipelines.c.id,
    pipelines.c.active,
    pipelines.c.load_lineage,
    pipelines.c.watermark,
    pipelines.c.input_hash,
).where(pipelines.c.name == bindparam("pipeline_name", type_=pipelines.c.name.type))


async def get_pipeline_sync_state(conn: AsyncConnection, name: str) -> Row[Any] | None:
    """What POST /pipeline answers with, plus the digest it compares: one indexed lookup."""
    return (await conn.execute(_SYNC_STATE, {"pipeline_name": name})).first()


async def insert_pipeline_if_absent(conn: AsyncConnection, values: dict[str, Any]) -> int | None:
    return await insert_if_absent(conn, pipelines, values, ["name"])


async def list_pipelines(conn: AsyncConnection, limit: int, offset: int) -> list[Row[Any]]:
    statement = select(pipelines).order_by(pipelines.c.id).limit(limit).offset(offset)
    return list(await conn.execute(statement))


async def update_pipeline(
    conn: AsyncConnection, pipeline_id: int, values: dict[str, Any]
) -> Row[Any]:
    statement = (
        update(pipelines)
        .where(pipelines.c.id == pipeline_id)
        .values(**values)
        .returning(*pipelines.c)
    )
    return (await conn.execute(statement)).one()


async def get_pipeline_id_by_name(conn: AsyncConnection, name: str) -> int | None:
    statement = select(pipelines.c.id).where(pipelines.c.name == name)
    return (await conn.execute(statement)).scalar_one_or_none()


_PIPELINE_EXISTS = select(
    exists().where(pipelines.c.id == bindparam("pipeline_id", type_=BigInteger()))
)


async def pipeline_exists(conn: AsyncConnection, pipeline_id: int) -> bool:
    """Whether the pipeline exists (other domains check their pipeline_id filters with it)."""
    return bool((await conn.execute(_PIPELINE_EXISTS, {"pipeline_id": pipeline_id})).scalar())


async def get_names(conn: AsyncConnection, pipeline_ids: set[int]) -> dict[int, str]:
    """The names of these pipelines, by id."""
    if not pipeline_ids:
        return {}
    statement = select(pipelines.c.id, pipelines.c.name).where(
        pipelines.c.id.in_(sorted(pipeline_ids))
    )
    return dict((await conn.execute(statement)).all())
