"""`GET /metrics`: the Prometheus text exposition of every worker and of the database."""

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from watcher_server.deps import DatabaseDep, NowDep
from watcher_server.observability.metrics import exposition
from watcher_server.observability.scrape import database_families

router = APIRouter(tags=["system"])


@router.get("/metrics", include_in_schema=False)
async def metrics(db: DatabaseDep, now: NowDep) -> Response:
    """Prometheus metrics (text format); see docs/operations.md for each one."""
    families = await database_families(db, now)
    return Response(exposition(families), media_type=CONTENT_TYPE_LATEST)
