"""HTTP routes of /alert."""

from typing import Annotated

from fastapi import APIRouter, Query

from watcher_server.alerts import service
from watcher_server.alerts.schemas import AlertOut, AlertStatus
from watcher_server.common.responses import errors
from watcher_server.common.schemas import Id
from watcher_server.deps import DatabaseDep, PageDep

router = APIRouter(tags=["alerts"])


@router.get("/alert", response_model=list[AlertOut])
async def list_alerts(
    db: DatabaseDep,
    page: PageDep,
    status: Annotated[AlertStatus | None, Query(description="Only alerts in this state.")] = None,
    pipeline_id: Annotated[Id | None, Query(description="Only this pipeline's alerts.")] = None,
    kind: Annotated[
        str | None,
        Query(max_length=100, pattern=r"^[^\x00]*$", description="e.g. freshness.stale."),
    ] = None,
) -> list[AlertOut]:
    """Alerts, newest first, each with its delivery state per channel."""
    return await service.list_alerts(
        db, status=status, pipeline_id=pipeline_id, kind=kind, limit=page.limit, offset=page.offset
    )


@router.get("/alert/{alert_id}", response_model=AlertOut, responses=errors(404))
async def get_alert(alert_id: Id, db: DatabaseDep) -> AlertOut:
    """One alert with its delivery state per channel."""
    return await service.get_alert(db, alert_id)
