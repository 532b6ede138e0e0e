"""HTTP routes of pipeline executions."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from watcher_server.common.responses import errors
from watcher_server.common.schemas import Id
from watcher_server.deps import DatabaseDep, NowDep, PageDep, SettingsDep
from watcher_server.executions import service
from watcher_server.executions.schemas import (
    ExecutionEnd,
    ExecutionOut,
    ExecutionStart,
    ExecutionTreeOut,
    IdempotencyKey,
)
from watcher_server.pipelines.schemas import IdOut

router = APIRouter(tags=["executions"])
_REPLAYED = {
    "Idempotent-Replayed": {
        "description": "`true` when this answers a start made before (a retry).",
        "schema": {"type": "string", "enum": ["true"]},
    }
}


@router.post(
    "/start_pipeline_execution",
    status_code=201,
    response_model=IdOut,
    responses={201: {"headers": _REPLAYED}, **errors(404, 409)},
)
async def start_pipeline_execution(
    body: ExecutionStart,
    response: Response,
    db: DatabaseDep,
    now: NowDep,
    idempotency_key: Annotated[
        IdempotencyKey | None, Header(description="Same as the body's idempotency_key.")
    ] = None,
) -> IdOut:
    """Record that a run started; answers the execution id to end it with.

    Retrying a start is safe: an identical call (or one with the same idempotency key) answers
    the run it created, with the header `Idempotent-Replayed: true`.
    """
    execution_id, replayed = await service.start_execution(db, body, now, idempotency_key)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return IdOut(id=execution_id)


@router.post("/end_pipeline_execution", status_code=204, responses=errors(404, 409))
async def end_pipeline_execution(
    body: ExecutionEnd, db: DatabaseDep, now: NowDep, settings: SettingsDep
) -> Response:
    """Record how a run ended. On success the pipeline's watermark moves to the run's
    next_watermark and its last_target_* times move forward, in the same transaction.

    An end_date before the run's start by at most WATCHER_END_BEFORE_START_TOLERANCE_SECONDS
    ends the run at its start, keeping the time sent as `reported_end_date` in its metadata.
    """
    tolerance = timedelta(seconds=settings.watcher_end_before_start_tolerance_seconds)
    await service.end_execution(db, body, now, tolerance)
    return Response(status_code=204)


@router.get(
    "/pipeline_execution/{execution_id}", response_model=ExecutionTreeOut, responses=errors(404)
)
async def get_pipeline_execution(execution_id: Id, db: DatabaseDep) -> ExecutionTreeOut:
    """One run, with the runs nested under it at every depth in `child_executions`."""
    return await service.get_execution(db, execution_id)


@router.get("/pipeline_execution", response_model=list[ExecutionOut], responses=errors(404))
async def list_pipeline_executions(
    db: DatabaseDep,
    page: PageDep,
    pipeline_id: Annotated[Id | None, Query(description="Only this pipeline's runs.")] = None,
) -> list[ExecutionOut]:
    """Runs, newest first."""
    rows = await service.list_executions(db, pipeline_id, page.limit, page.offset)
    return [ExecutionOut.model_validate(row) for row in rows]
