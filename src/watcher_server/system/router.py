"""Liveness, readiness and Scalar's API reference at /scalar (the original's docs address)."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from watcher_server import __version__
from watcher_server.common.responses import errors
from watcher_server.deps import DatabaseDep
from watcher_server.errors import RETRY_AFTER_SECONDS, error_body, is_database_unavailable
from watcher_server.system.scalar import ASSETS_URL, assets, scalar_page

router = APIRouter(tags=["system"])
router.mount(ASSETS_URL, assets, name="scalar-assets")


@router.get("/")
async def root() -> dict[str, str]:
    """Heartbeat, as in the original Watcher."""
    return {"status": "ok"}


@router.get("/health")
async def health() -> dict[str, str]:
    """The process is alive (does not touch the database)."""
    return {"status": "ok", "version": __version__}


@router.get("/ready", responses=errors(503))
async def ready(db: DatabaseDep) -> JSONResponse:
    """The database answers; 503 otherwise, so a load balancer routes around this instance."""
    try:
        await db.ping()
    except Exception as exc:
        if not is_database_unavailable(exc):
            raise
        return JSONResponse(
            error_body(f"database unreachable: {type(exc).__name__}", "DATABASE_UNAVAILABLE"),
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    return JSONResponse({"status": "ready", "database": db.dialect})


@router.get("/scalar", include_in_schema=False)
async def scalar(request: Request) -> HTMLResponse:
    """Scalar's interactive API reference, bundled: the page asks nothing of other origins."""
    root_path = request.scope.get("root_path", "")
    title = f"{request.app.title} - API reference"
    return HTMLResponse(scalar_page(root_path, request.app.openapi_url, title))
