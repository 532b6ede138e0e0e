"""The application factory: settings in, a ready FastAPI app out."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from watcher_server import __version__
from watcher_server.addresses.router import router as addresses_router
from watcher_server.alerts.router import router as alerts_router
from watcher_server.anomalies.router import router as anomalies_router
from watcher_server.auth import openapi as auth_openapi
from watcher_server.auth.gate import Gate
from watcher_server.auth.middleware import AccessControl
from watcher_server.auth.modes import auth_required
from watcher_server.auth.router import router as auth_router
from watcher_server.auth.service import bootstrap_admin
from watcher_server.clock import Clock, utcnow
from watcher_server.common import openapi
from watcher_server.common.responses import errors
from watcher_server.db import Database
from watcher_server.errors import install_error_handlers
from watcher_server.executions.router import router as executions_router
from watcher_server.jobs.registry import build_jobs
from watcher_server.jobs.runner import JobRunner
from watcher_server.lineage.router import router as lineage_router
from watcher_server.maintenance.router import router as maintenance_router
from watcher_server.monitoring.router import router as monitoring_router
from watcher_server.observability import metrics, tracing
from watcher_server.observability.logs import configure_logging
from watcher_server.observability.middleware import RequestObserver
from watcher_server.observability.router import router as metrics_router
from watcher_server.openlineage.router import router as openlineage_router
from watcher_server.pipelines.router import router as pipelines_router
from watcher_server.reports.router import router as reports_router
from watcher_server.settings import Settings, load_settings
from watcher_server.system.router import router as system_router
from watcher_server.ui.router import router as ui_router

logger = logging.getLogger(__name__)

DESCRIPTION = """
Watcher records every run of your data pipelines, keeps the watermark each pipeline resumes
from, and tells you when runs are late, data is stale or metrics look wrong.

Errors are JSON: `detail` (FastAPI's shape), `message` (readable) and `code`.
"""


def create_app(settings: Settings, *, clock: Clock = utcnow) -> FastAPI:
    """Build the app. The database engine opens connections lazily, on first use.

    With `watcher_background_jobs` (the default) the scheduled checks and the alert delivery
    run inside the app, from start-up to shutdown.
    """
    database = Database(
        settings.database_url,
        pool_size=settings.database_pool_size,
        busy_timeout_seconds=settings.database_busy_timeout_seconds,
        pgbouncer=settings.database_pgbouncer,
    )
    runner = (
        JobRunner(build_jobs(settings), database, settings, clock)
        if settings.watcher_background_jobs
        else None
    )
    traces = tracing.tracer_provider(settings)
    if traces is not None:
        tracing.trace_statements(database.engine, traces)

    gate = Gate.build(settings, database, clock) if auth_required(settings) else None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        logger.info(
            "Watcher %s serving on %s, API keys %s",
            __version__,
            database.dialect,
            "required" if gate else "not required",
        )
        metrics.forget_dead_workers()
        if settings.watcher_bootstrap_admin_key is not None:
            token = settings.watcher_bootstrap_admin_key.get_secret_value()
            if await bootstrap_admin(database, token, clock()):
                logger.info("the bootstrap admin key was added")
        pool_gauges = (
            asyncio.create_task(metrics.sample_pool(database.engine))
            if settings.watcher_metrics
            else None
        )
        if runner is not None:
            await runner.start()
        try:
            yield
        finally:
            if pool_gauges is not None:
                pool_gauges.cancel()
            if runner is not None:
                await runner.stop()
            await database.dispose()
            if traces is not None:
                tracing.stop_tracing(traces)
            metrics.process_stopped()

    app = FastAPIOffline(
        title="Watcher",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        telemetry=tracing.fastapi_telemetry(traces),
    )
    app.state.settings = settings
    app.state.database = database
    app.state.clock = clock
    app.state.gate = gate
    generate_openapi = app.openapi
    app.openapi = lambda: _document(generate_openapi(), gate is not None)  # type: ignore[method-assign]
    install_error_handlers(app)
    if gate is not None:
        app.add_middleware(AccessControl, gate=gate)
    # Outermost (added last), so that refused requests get an id and are counted too.
    app.add_middleware(
        RequestObserver,
        record_metrics=settings.watcher_metrics,
        access_log=settings.watcher_access_log,
        traced=traces is not None,
    )
    app.include_router(system_router)
    # Routes are matched in this order: the calls every pipeline run makes come first.
    for router in (
        executions_router,
        openlineage_router,
        pipelines_router,
        monitoring_router,
        alerts_router,
        maintenance_router,
        addresses_router,
        lineage_router,
        anomalies_router,
        auth_router,
        reports_router,
        ui_router,
    ):
        # Every one of their routes reads or writes the database, so each can answer 503.
        app.include_router(router, responses=errors(503))
    if settings.watcher_metrics:
        app.include_router(metrics_router, responses=errors(503))
    return app


def _document(document: dict, keys_required: bool) -> dict:
    """The OpenAPI document; with keys required, each operation says which scope it needs."""
    document = openapi.complete(document)
    return auth_openapi.document_security(document) if keys_required else document


def create_served_app() -> FastAPI:
    """The app of one `watcher serve` worker, configured from the environment `serve` set up
    (uvicorn imports this by name in each worker process)."""
    settings = load_settings()
    configure_logging(settings.log_level, settings.watcher_log_format)
    return create_app(settings)
