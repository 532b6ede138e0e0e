"""`watcher jobs run`: the background jobs in a process of their own."""

import asyncio
import logging
import signal

from watcher_server.clock import utcnow
from watcher_server.db import Database
from watcher_server.jobs.registry import build_jobs
from watcher_server.jobs.runner import JobRunner
from watcher_server.observability import metrics
from watcher_server.settings import Settings

logger = logging.getLogger(__name__)


async def run_until_stopped(
    settings: Settings, metrics_address: tuple[str, int] | None = None
) -> None:
    """Run every enabled job until SIGINT or SIGTERM, then stop them cleanly; with a
    `metrics_address` (host, port), serve this process's Prometheus metrics there meanwhile."""
    database = Database(
        settings.database_url,
        pool_size=settings.database_pool_size,
        busy_timeout_seconds=settings.database_busy_timeout_seconds,
        pgbouncer=settings.database_pgbouncer,
    )
    runner = JobRunner(build_jobs(settings), database, settings, utcnow)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    exporter = pool_gauges = None
    if metrics_address is not None:
        exporter = metrics.serve_metrics(*metrics_address)
        pool_gauges = asyncio.create_task(metrics.sample_pool(database.engine))
    await runner.start()
    try:
        await stopping.wait()
        logger.info("stopping background jobs")
    finally:
        await runner.stop()
        await database.dispose()
        if pool_gauges is not None:
            pool_gauges.cancel()
        if exporter is not None:
            exporter.shutdown()
