"""Liveness, readiness and the documentation address the original Watcher used."""

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from watcher_server import __version__
from watcher_server.common.responses import errors
from watcher_server.deps import DatabaseDep
from watcher_server.errors import RETRY_AFTER_SECONDS, error_body, is_database_unavailable

router = APIRouter(tags=["system"])


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
    """The original's docs address, kept working with the bundled (offline) Swagger UI."""
    root_path = request.scope.get("root_path", "")
    static = f"{root_path}/static-offline-docs"
    return get_swagger_ui_html(
        openapi_url=f"{root_path}{request.app.openapi_url}",
        title=f"{request.app.title} - API reference",
        swagger_js_url=f"{static}/swagger-ui-bundle.js",
        swagger_css_url=f"{static}/swagger-ui.css",
        swagger_favicon_url=f"{static}/favicon.png",
    )
