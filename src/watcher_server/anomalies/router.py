"""HTTP routes of anomaly detection: rules, on-demand detection, findings, unflag."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from watcher_server.anomalies import service
from watcher_server.anomalies.schemas import (
    DetectionOut,
    ResultOut,
    RuleCreate,
    RuleOut,
    RulePatch,
    UnflagRequest,
)
from watcher_server.common.responses import errors, ok
from watcher_server.common.schemas import Id
from watcher_server.deps import DatabaseDep, NowDep, PageDep
from watcher_server.pipelines.schemas import IdOut

router = APIRouter(tags=["anomaly detection"])
PipelineFilter = Annotated[Id | None, Query(description="Only this pipeline's rows.")]


@router.post(
    "/anomaly_detection_rule",
    status_code=201,
    response_model=IdOut,
    responses={**ok(IdOut, "The rule existed: it was left as it is."), **errors(404, 409)},
)
async def create_rule(body: RuleCreate, response: Response, db: DatabaseDep, now: NowDep) -> IdOut:
    """Get or create the rule of a (pipeline, metric): 201 when created, 200 when it existed
    (an existing rule keeps its settings; change them with PATCH)."""
    rule_id, created = await service.create_rule(db, body, now)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return IdOut(id=rule_id)


@router.get("/anomaly_detection_rule", response_model=list[RuleOut], responses=errors(404))
async def list_rules(
    db: DatabaseDep, page: PageDep, pipeline_id: PipelineFilter = None
) -> list[RuleOut]:
    """Rules by id."""
    rows = await service.list_rules(db, pipeline_id, page.limit, page.offset)
    return [RuleOut.model_validate(row) for row in rows]


@router.get("/anomaly_detection_rule/{rule_id}", response_model=RuleOut, responses=errors(404))
async def get_rule(rule_id: Id, db: DatabaseDep) -> RuleOut:
    """One rule."""
    return RuleOut.model_validate(await service.get_rule(db, rule_id))


@router.patch("/anomaly_detection_rule", response_model=RuleOut, responses=errors(404, 409))
async def patch_rule(body: RulePatch, db: DatabaseDep, now: NowDep) -> RuleOut:
    """Change a rule found by `id`."""
    return RuleOut.model_validate(await service.patch_rule(db, body, now))


@router.post(
    "/anomaly_detection/detect/{pipeline_id}", response_model=DetectionOut, responses=errors(404)
)
async def detect(pipeline_id: Id, db: DatabaseDep, now: NowDep) -> DetectionOut:
    """Run detection now on the pipeline's latest successful execution and answer every
    active rule's outcome: anomaly, normal, insufficient_history or no_value.

    New anomalies are stored, flagged on the execution and alerted, as after an end call.
    """
    return await service.detect_latest(db, pipeline_id, now)


@router.get("/anomaly_detection_result", response_model=list[ResultOut], responses=errors(404))
async def list_results(
    db: DatabaseDep,
    page: PageDep,
    pipeline_id: PipelineFilter = None,
    pipeline_execution_id: Annotated[
        Id | None, Query(description="Only this execution's findings.")
    ] = None,
) -> list[ResultOut]:
    """Anomalies found, newest first (normal outcomes are not stored)."""
    rows = await service.list_results(
        db, pipeline_id, pipeline_execution_id, page.limit, page.offset
    )
    return [ResultOut.model_validate(row) for row in rows]


@router.post("/unflag_anomaly", status_code=204, responses=errors(404))
async def unflag_anomaly(body: UnflagRequest, db: DatabaseDep) -> Response:
    """Clear an execution's anomaly flags for the metrics given and delete those findings: the
    execution counts in the metrics' baselines again."""
    await service.unflag(db, body)
    return Response(status_code=204)
