"""HTTP routes of the timeliness and freshness checks, their logs, and the monitor."""

from typing import Annotated

from fastapi import APIRouter, Body, Query

from watcher_server.common.responses import errors
from watcher_server.common.schemas import Id
from watcher_server.deps import DatabaseDep, NowDep, PageDep, SettingsDep
from watcher_server.monitoring import health, service
from watcher_server.monitoring.schemas import (
    FreshnessLogOut,
    FreshnessReport,
    TimelinessLogOut,
    TimelinessReport,
    TimelinessRequest,
)

router = APIRouter(tags=["monitoring"])
PipelineFilter = Annotated[Id | None, Query(description="Only this pipeline's rows.")]


@router.post("/timeliness", response_model=TimelinessReport)
async def check_timeliness(
    db: DatabaseDep,
    now: NowDep,
    body: Annotated[TimelinessRequest | None, Body()] = None,
) -> TimelinessReport:
    """Run the timeliness check now and answer what it found.

    Every execution still running is checked, whatever its start; successful executions are
    checked when they ended within `lookback_minutes`. An overdue execution is logged and
    alerted once (`new`); later checks still list it.
    """
    lookback = (body or TimelinessRequest()).lookback_minutes
    return await service.check_timeliness(db, now, lookback)


@router.post("/freshness", response_model=FreshnessReport)
async def check_freshness(db: DatabaseDep, now: NowDep) -> FreshnessReport:
    """Run the freshness check now and answer what it found.

    A pipeline is stale when its last insert, update or soft delete (or its creation, if it
    never loaded data) is older than its freshness threshold. Each stale episode is logged and
    alerted once; a stale pipeline that is fresh again gets one "resolved" alert.
    """
    return await service.check_freshness(db, now)


@router.get(
    "/timeliness_pipeline_execution_log",
    response_model=list[TimelinessLogOut],
    responses=errors(404),
)
async def list_timeliness_logs(
    db: DatabaseDep, page: PageDep, pipeline_id: PipelineFilter = None
) -> list[TimelinessLogOut]:
    """Executions found overdue, newest first (one row per execution)."""
    rows = await service.list_timeliness_logs(db, pipeline_id, page.limit, page.offset)
    return [TimelinessLogOut.model_validate(row) for row in rows]


@router.get("/freshness_pipeline_log", response_model=list[FreshnessLogOut], responses=errors(404))
async def list_freshness_logs(
    db: DatabaseDep, page: PageDep, pipeline_id: PipelineFilter = None
) -> list[FreshnessLogOut]:
    """Stale episodes, newest first; `resolved_at` is set once the pipeline is fresh again."""
    rows = await service.list_freshness_logs(db, pipeline_id, page.limit, page.offset)
    return [FreshnessLogOut.model_validate(row) for row in rows]


@router.post("/celery/monitor-queue", response_model=health.MonitorOut)
async def monitor_queue(db: DatabaseDep, now: NowDep, settings: SettingsDep) -> health.MonitorOut:
    """Health of the scheduler and of the alert queue (the path etl-watcher-sdk calls).

    Watcher has no Celery: this reports pending alerts, the oldest one's age and the last run
    of every background job; `status` is warning when something needs a look.
    """
    return await health.monitor(db, settings, now)
