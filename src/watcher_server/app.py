"""The application factory: settings in, a ready FastAPI app out."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from watcher_server import __version__
from watcher_server.addresses.router import router as addresses_router
from watcher_server.clock import Clock, utcnow
from watcher_server.db import Database
from watcher_server.errors import install_error_handlers
from watcher_server.executions.router import router as executions_router
from watcher_server.lineage.router import router as lineage_router
from watcher_server.pipelines.router import router as pipelines_router
from watcher_server.settings import Settings
from watcher_server.system.router import router as system_router

logger = logging.getLogger(__name__)

DESCRIPTION = """
Watcher records every run of your data pipelines, keeps the watermark each pipeline resumes
from, and tells you when runs are late, data is stale or metrics look wrong.

Errors are JSON: `detail` (FastAPI's shape), `message` (readable) and `code`.
"""


def create_app(settings: Settings, *, clock: Clock = utcnow) -> FastAPI:
    """Build the app. The database engine opens connections lazily, on first use."""
    database = Database(settings.database_url, pool_size=settings.database_pool_size)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        logger.info("Watcher %s serving on %s", __version__, database.dialect)
        try:
            yield
        finally:
            await database.dispose()

    app = FastAPIOffline(
        title="Watcher",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.database = database
    app.state.clock = clock
    install_error_handlers(app)
    for router in (
        system_router,
        pipelines_router,
        executions_router,
        addresses_router,
        lineage_router,
    ):
        app.include_router(router)
    return app
