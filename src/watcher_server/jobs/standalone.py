"""`watcher jobs run`: the background jobs in a process of their own."""

import asyncio
import logging
import signal

from watcher_server.clock import utcnow
from watcher_server.db import Database
from watcher_server.jobs.registry import build_jobs
from watcher_server.jobs.runner import JobRunner
from watcher_server.settings import Settings

logger = logging.getLogger(__name__)


async def run_until_stopped(settings: Settings) -> None:
    """Run every enabled job until SIGINT or SIGTERM, then stop them cleanly."""
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
    await runner.start()
    try:
        await stopping.wait()
        logger.info("stopping background jobs")
    finally:
        await runner.stop()
        await database.dispose()
