"""Log cleanup as a scheduled job (WATCHER_LOG_CLEANUP_SCHEDULE)."""

from collections.abc import Mapping
from typing import Any

from watcher_server.jobs.spec import JobContext
from watcher_server.maintenance.service import run_scheduled_cleanup


async def clean_logs(context: JobContext) -> Mapping[str, Any]:
    report = await run_scheduled_cleanup(context.database, context.settings, context.clock())
    return {"rows_deleted": report.rows, "batches": report.batches}
