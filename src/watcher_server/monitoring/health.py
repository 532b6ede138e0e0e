"""The health of the scheduler and of the alert queue (`POST /celery/monitor-queue`)."""

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from watcher_server.alerts.channels import channel_names
from watcher_server.alerts.schemas import DeliveryQueueOut
from watcher_server.alerts.service import queue_health
from watcher_server.db import Database
from watcher_server.jobs.registry import build_jobs
from watcher_server.jobs.schemas import JobHealthOut
from watcher_server.jobs.service import job_health
from watcher_server.settings import Settings

# An alert waiting longer than this means a channel is down or no delivery job runs.
STUCK_ALERT_AGE = timedelta(minutes=10)


class MonitorOut(BaseModel):
    status: Literal["success", "warning"]
    checked_at: datetime
    problems: list[str] = Field(description="Why the status is warning, one line each.")
    background_jobs_in_this_process: bool
    total_pending: int = Field(description="Alerts waiting for a channel (the original's key).")
    alerts: DeliveryQueueOut
    jobs: list[JobHealthOut]


async def monitor(db: Database, settings: Settings, now: datetime) -> MonitorOut:
    """Pending alerts, the age of the oldest, and the last run of every job."""
    runs_here = settings.watcher_background_jobs
    async with db.transaction() as conn:
        queue = await queue_health(conn, channel_names(settings), now)
        jobs = await job_health(conn, build_jobs(settings), now, runs_here=runs_here)
    problems = [f"job {job.name} is late: is a scheduler running?" for job in jobs if job.late]
    problems += [
        f"job {job.name} failed: {job.last_error}" for job in jobs if job.last_status == "failed"
    ]
    age = queue.oldest_pending_age_seconds
    if age is not None and age > STUCK_ALERT_AGE.total_seconds():
        problems.append(f"an alert has waited {age:.0f} s for delivery")
    return MonitorOut(
        status="warning" if problems else "success",
        checked_at=now,
        problems=problems,
        background_jobs_in_this_process=runs_here,
        total_pending=queue.pending_alerts,
        alerts=queue,
        jobs=jobs,
    )
