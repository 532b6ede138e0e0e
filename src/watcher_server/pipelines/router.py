"""HTTP routes of /pipeline_type and /pipeline."""

from fastapi import APIRouter, Response, status

from watcher_server.common.responses import errors, ok
from watcher_server.common.schemas import Id
from watcher_server.deps import DatabaseDep, NowDep, PageDep, SettingsDep
from watcher_server.pipelines import service
from watcher_server.pipelines.schemas import (
    IdOut,
    PipelineCreate,
    PipelineOut,
    PipelinePatch,
    PipelineSyncOut,
    PipelineTypeCreate,
    PipelineTypeOut,
    PipelineTypePatch,
)

router = APIRouter(tags=["pipelines"])


def _created_status(response: Response, created: bool) -> None:
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK


@router.post(
    "/pipeline_type",
    status_code=201,
    response_model=IdOut,
    responses=ok(IdOut, "The type existed: nothing was created."),
)
async def create_pipeline_type(
    body: PipelineTypeCreate, response: Response, db: DatabaseDep, now: NowDep
) -> IdOut:
    """Get or create a pipeline type by name: 201 when created, 200 when it existed."""
    type_id, created = await service.create_type(db, body, now)
    _created_status(response, created)
    return IdOut(id=type_id)


@router.get("/pipeline_type", response_model=list[PipelineTypeOut])
async def list_pipeline_types(db: DatabaseDep, page: PageDep) -> list[PipelineTypeOut]:
    """List pipeline types by id."""
    rows = await service.list_types(db, page.limit, page.offset)
    return [PipelineTypeOut.model_validate(row) for row in rows]


@router.get("/pipeline_type/{type_id}", response_model=PipelineTypeOut, responses=errors(404))
async def get_pipeline_type(type_id: Id, db: DatabaseDep) -> PipelineTypeOut:
    """One pipeline type."""
    return PipelineTypeOut.model_validate(await service.get_type(db, type_id))


@router.patch("/pipeline_type", response_model=PipelineTypeOut, responses=errors(404, 409))
async def patch_pipeline_type(
    body: PipelineTypePatch, db: DatabaseDep, now: NowDep
) -> PipelineTypeOut:
    """Change a pipeline type found by `id` or `name`."""
    return PipelineTypeOut.model_validate(await service.patch_type(db, body, now))


@router.post(
    "/pipeline",
    status_code=201,
    response_model=PipelineSyncOut,
    responses=ok(PipelineSyncOut, "The pipeline existed: its configuration was synced."),
)
async def create_pipeline(
    body: PipelineCreate, response: Response, db: DatabaseDep, now: NowDep, settings: SettingsDep
) -> PipelineSyncOut:
    """Get or create a pipeline by name and sync its configuration.

    Answers the pipeline's id, whether it is active, whether Watcher wants its lineage, and the
    stored watermark the next run should resume from.
    """
    result, created = await service.sync_pipeline(
        db,
        body,
        now,
        settings.watcher_default_load_lineage,
        settings.watcher_auto_create_anomaly_detection_rules,
    )
    _created_status(response, created)
    return result


@router.get("/pipeline", response_model=list[PipelineOut])
async def list_pipelines(db: DatabaseDep, page: PageDep) -> list[PipelineOut]:
    """List pipelines by id."""
    rows = await service.list_pipelines(db, page.limit, page.offset)
    return [PipelineOut.model_validate(row) for row in rows]


@router.get("/pipeline/{pipeline_id}", response_model=PipelineOut, responses=errors(404))
async def get_pipeline(pipeline_id: Id, db: DatabaseDep) -> PipelineOut:
    """One pipeline with its configuration and state."""
    return PipelineOut.model_validate(await service.get_pipeline(db, pipeline_id))


@router.patch("/pipeline", response_model=PipelineOut, responses=errors(404, 409))
async def patch_pipeline(body: PipelinePatch, db: DatabaseDep, now: NowDep) -> PipelineOut:
    """Change a pipeline found by `id` (or `pipeline_id`) or `name`, watermarks included."""
    return PipelineOut.model_validate(await service.patch_pipeline(db, body, now))
