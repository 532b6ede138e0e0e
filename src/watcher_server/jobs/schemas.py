"""How the background jobs are doing, as the monitor endpoint reports it."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class JobHealthOut(BaseModel):
    name: str
    kind: Literal["cron", "poll"]
    schedule: str | None = Field(description="Cron jobs: five fields, UTC.")
    every_seconds: float | None = Field(description="Poll jobs: seconds between runs when idle.")
    last_fire_at: datetime | None = Field(description="Cron jobs: the scheduled time last run.")
    last_started_at: datetime | None
    last_finished_at: datetime | None
    last_status: str | None = Field(description="running, succeeded or failed.")
    last_error: str | None
    last_result: dict[str, Any] | None
    next_run_at: datetime | None = Field(description="Cron jobs: the next scheduled time.")
    late: bool = Field(
        description="No process has run the job when it should have: is a scheduler running?"
    )
