"""HTTP route of OpenLineage events: the path its HTTP transport posts to, as Marquez serves it."""

from typing import Annotated

from fastapi import APIRouter, Body, Response

from watcher_server.common.responses import errors, ok
from watcher_server.deps import DatabaseDep, NowDep, SettingsDep
from watcher_server.openlineage import service
from watcher_server.openlineage.schemas import AnyEvent, DatasetEvent, EventOut, RunEvent

router = APIRouter(tags=["openlineage"])


@router.post(
    "/api/v1/lineage",
    status_code=201,
    response_model=EventOut,
    responses={
        **ok(EventOut, "A terminal event for a run that had already ended: ignored."),
        # A name another call renamed while this event created it, twice over: retry.
        **errors(409),
    },
)
async def post_lineage(
    event: Annotated[AnyEvent, Body()],
    response: Response,
    db: DatabaseDep,
    now: NowDep,
    settings: SettingsDep,
) -> EventOut:
    """Record an OpenLineage RunEvent, DatasetEvent or JobEvent.

    A job is a pipeline named `<namespace>.<name>`, a run an execution found by its runId,
    datasets are addresses, and a completed run's inputs x outputs its pipeline's lineage.
    Events may come out of order and more than once.
    """
    ctx = service.Context(db, now, settings)
    if isinstance(event, RunEvent):
        out = await service.record_run_event(ctx, event)
    elif isinstance(event, DatasetEvent):
        out = await service.record_dataset_event(ctx, event)
    else:
        out = await service.record_job_event(ctx, event)
    if out.status == "ignored":
        response.status_code = 200
    return out
