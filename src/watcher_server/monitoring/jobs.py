"""The checks as scheduled jobs."""

from collections.abc import Mapping
from typing import Any

from watcher_server.jobs.spec import JobContext
from watcher_server.monitoring import service


async def check_timeliness(context: JobContext) -> Mapping[str, Any]:
    """The timeliness check over WATCHER_TIMELINESS_CHECK_LOOKBACK_MINUTES."""
    report = await service.check_timeliness(
        context.database,
        context.clock(),
        context.settings.watcher_timeliness_check_lookback_minutes,
    )
    return {"status": report.status, "overdue": report.overdue_count, "new": report.new_count}


async def check_freshness(context: JobContext) -> Mapping[str, Any]:
    report = await service.check_freshness(context.database, context.clock())
    return {
        "status": report.status,
        "stale": report.stale_count,
        "new": report.new_count,
        "resolved": len(report.resolved),
    }
