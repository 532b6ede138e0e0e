"""Rules for pipeline types and pipelines: get-or-create by name, configuration sync, PATCH."""

from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from watcher_server.anomalies.service import create_default_rules
from watcher_server.common.digest import config_digest
from watcher_server.common.get_or_create import insert_or_find
from watcher_server.common.patching import (
    check_name_free,
    patch_values,
    require,
    update_or_conflict,
)
from watcher_server.db import Database
from watcher_server.pipelines import repository as repo
from watcher_server.pipelines.schemas import (
    PipelineCreate,
    PipelinePatch,
    PipelineSyncOut,
    PipelineTypeCreate,
    PipelineTypePatch,
)

# Columns that reject NULL: a null sent in a PATCH for them means "leave unchanged".
_NOT_NULL = frozenset(
    {
        "name",
        "pipeline_type_id",
        "active",
        "load_lineage",
        "mute_freshness_check",
        "mute_timeliness_check",
    }
)


async def get_or_create_type(
    conn: AsyncConnection, name: str, now: datetime, settings: dict[str, Any] | None = None
) -> tuple[int, bool]:
    """The id of the type called `name`, creating it if needed; True when this call created it."""
    type_id = await repo.get_type_id_by_name(conn, name)
    if type_id is not None:
        return type_id, False
    values = {**(settings or {}), "name": name, "created_at": now}
    return await insert_or_find(
        lambda: repo.insert_type_if_absent(conn, values),
        lambda: repo.get_type_id_by_name(conn, name),
        f"pipeline type {name!r}",
    )


async def create_type(db: Database, data: PipelineTypeCreate, now: datetime) -> tuple[int, bool]:
    """Get-or-create; an existing type keeps its settings (change them with PATCH)."""
    settings = data.model_dump(exclude={"name"}, exclude_none=True)
    async with db.transaction() as conn:
        return await get_or_create_type(conn, data.name, now, settings)


async def get_type(db: Database, type_id: int) -> Row[Any]:
    async with db.transaction() as conn:
        return await require(repo.get_type(conn, type_id), f"pipeline type {type_id}")


async def list_types(db: Database, limit: int, offset: int) -> list[Row[Any]]:
    async with db.transaction() as conn:
        return await repo.list_types(conn, limit, offset)


async def patch_type(db: Database, data: PipelineTypePatch, now: datetime) -> Row[Any]:
    values = patch_values(data, _NOT_NULL)
    async with db.transaction() as conn:
        if data.id is not None:
            type_id = data.id
            await require(repo.get_type(conn, type_id), f"pipeline type {type_id}")
        else:
            type_id = await require(
                repo.get_type_id_by_name(conn, data.name), f"pipeline type {data.name!r}"
            )
            values.pop("name", None)
        if "name" in values:
            check_name_free(
                await repo.get_type_id_by_name(conn, values["name"]), type_id, "pipeline type"
            )
        return await update_or_conflict(
            repo.update_type(conn, type_id, {**values, "updated_at": now}), "pipeline type"
        )


async def sync_pipeline(
    db: Database,
    data: PipelineCreate,
    now: datetime,
    default_load_lineage: bool,
    auto_create_rules: bool = False,
) -> tuple[PipelineSyncOut, bool]:
    """Get-or-create a pipeline by name and apply its configuration when it changed.

    Only non-null values are applied, so a client that sends explicit nulls never wipes a
    setting made with PATCH. The answer always carries the stored watermark. With
    `auto_create_rules`, a new pipeline gets one anomaly detection rule per metric in the
    commit that creates it.
    """
    config = data.model_dump(exclude={"name", "next_watermark"}, exclude_none=True)
    digest = config_digest(config)
    async with db.autocommit() as conn:
        # The common case, every run of an unchanged pipeline: one read, perhaps one update
        # of next_watermark, each atomic on its own.
        state = await repo.get_pipeline_sync_state(conn, data.name)
        if state is not None and state.input_hash == digest:
            if data.next_watermark is not None:
                changes = {"next_watermark": data.next_watermark}
                state = await repo.update_pipeline(conn, state.id, changes)
            return PipelineSyncOut.model_validate(state), False
    async with db.transaction() as conn:
        state = await repo.get_pipeline_sync_state(conn, data.name)
        if state is None:
            state, created = await insert_or_find(
                lambda: _create_pipeline(conn, data, config, digest, now, default_load_lineage),
                lambda: repo.get_pipeline_sync_state(conn, data.name),
                f"pipeline {data.name!r}",
            )
            if created:
                if auto_create_rules:
                    await create_default_rules(conn, state.id, now)
                return state, True
        changes: dict[str, Any] = {}
        if state.input_hash != digest:
            changes = await _config_values(conn, config, now)
            changes.update(input_hash=digest, updated_at=now)
        if data.next_watermark is not None:
            changes["next_watermark"] = data.next_watermark
        if changes:
            state = await repo.update_pipeline(conn, state.id, changes)
        return PipelineSyncOut.model_validate(state), False


async def _create_pipeline(
    conn: AsyncConnection,
    data: PipelineCreate,
    config: dict[str, Any],
    digest: str,
    now: datetime,
    default_load_lineage: bool,
) -> PipelineSyncOut | None:
    values = await _config_values(conn, config, now)
    values.setdefault("load_lineage", default_load_lineage)
    values.update(
        name=data.name, next_watermark=data.next_watermark, input_hash=digest, created_at=now
    )
    pipeline_id = await repo.insert_pipeline_if_absent(conn, values)
    if pipeline_id is None:
        return None
    return PipelineSyncOut(
        id=pipeline_id, active=True, load_lineage=values["load_lineage"], watermark=None
    )


async def _config_values(
    conn: AsyncConnection, config: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """Column values for a configuration, resolving (or creating) its pipeline type."""
    values = dict(config)
    type_id, _ = await get_or_create_type(conn, values.pop("pipeline_type_name"), now)
    values["pipeline_type_id"] = type_id
    return values


async def get_pipeline(db: Database, pipeline_id: int) -> Row[Any]:
    async with db.transaction() as conn:
        return await require(repo.get_pipeline(conn, pipeline_id), f"pipeline {pipeline_id}")


async def list_pipelines(db: Database, limit: int, offset: int) -> list[Row[Any]]:
    async with db.transaction() as conn:
        return await repo.list_pipelines(conn, limit, offset)


async def patch_pipeline(db: Database, data: PipelinePatch, now: datetime) -> Row[Any]:
    values = patch_values(data, _NOT_NULL)
    type_name = values.pop("pipeline_type_name", None)
    async with db.transaction() as conn:
        if data.id is not None:
            pipeline_id = data.id
            await require(repo.get_pipeline(conn, pipeline_id), f"pipeline {pipeline_id}")
        else:
            pipeline_id = await require(
                repo.get_pipeline_id_by_name(conn, data.name), f"pipeline {data.name!r}"
            )
            values.pop("name", None)
        if "name" in values:
            check_name_free(
                await repo.get_pipeline_id_by_name(conn, values["name"]), pipeline_id, "pipeline"
            )
        if type_name is not None:
            values["pipeline_type_id"], _ = await get_or_create_type(conn, type_name, now)
        elif "pipeline_type_id" in values:
            await require(
                repo.get_type(conn, values["pipeline_type_id"]),
                f"pipeline type {values['pipeline_type_id']}",
            )
        return await update_or_conflict(
            repo.update_pipeline(conn, pipeline_id, {**values, "updated_at": now}), "pipeline"
        )
