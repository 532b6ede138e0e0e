"""HTTP routes of /address_lineage and /lineage."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import Field
from pydantic_core import to_json

from watcher_server.common.responses import errors, ok
from watcher_server.common.schemas import Id
from watcher_server.deps import DatabaseDep, NowDep, PageDep, SettingsDep
from watcher_server.lineage import service
from watcher_server.lineage.schemas import (
    ClosureRowOut,
    Direction,
    LineageCreate,
    LineageGraph,
    LineageWritten,
)

router = APIRouter(tags=["lineage"])

DepthQuery = Annotated[
    Literal["all"] | Annotated[int, Field(ge=1)],
    Query(description="How many edges away to go in each direction, or `all`."),
]


@router.post(
    "/address_lineage",
    status_code=201,
    response_model=LineageWritten,
    responses={
        **ok(LineageWritten, "Nothing written: the pipeline's load_lineage is false."),
        **errors(404),
    },
)
async def create_address_lineage(
    body: LineageCreate, response: Response, db: DatabaseDep, now: NowDep
) -> LineageWritten:
    """Replace a pipeline's lineage with every source → target edge, creating the addresses.

    201 when written; 200 with a count of 0 when the pipeline's `load_lineage` is false. The
    closure is updated in the same transaction, so reads right after see the new graph.
    """
    written, wrote = await service.replace_lineage(db, body, now)
    response.status_code = status.HTTP_201_CREATED if wrote else status.HTTP_200_OK
    return written


@router.get(
    "/address_lineage/{address_id}", response_model=list[ClosureRowOut], responses=errors(404)
)
async def get_address_lineage(
    address_id: Id, db: DatabaseDep, page: PageDep
) -> list[ClosureRowOut]:
    """Closure rows the address is part of, as ancestor or descendant, deepest first."""
    rows = await service.get_closure_rows(db, address_id, page.limit, page.offset)
    return [ClosureRowOut.model_validate(row) for row in rows]


@router.get("/lineage/{address_id}", response_model=LineageGraph, responses=errors(404))
async def get_lineage_graph(
    address_id: Id,
    db: DatabaseDep,
    settings: SettingsDep,
    direction: Annotated[Direction, Query(description="Which way to walk.")] = "both",
    depth: DepthQuery = 1,
) -> Response:
    """The lineage graph around an address: addresses with their distance from it, and edges
    with the pipelines that carry them. `truncated` tells when a server cap left some out."""
    document = await service.get_graph(
        db,
        address_id,
        direction,
        None if depth == "all" else depth,
        settings.watcher_lineage_max_depth,
        settings.watcher_lineage_max_nodes,
    )
    # Built from trusted rows and serialised directly: validating tens of thousands of nodes
    # and edges through the response model would cost more than the query.
    return Response(to_json(document), media_type="application/json")
