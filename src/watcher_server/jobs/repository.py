"""Every SQL statement on job_state."""

from datetime import datetime
from typing import Any

from sqlalchemy import Row, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from watcher_server.db.upsert import insert_many_if_absent
from watcher_server.models import JobState

job_states = JobState.__table__
ERROR_LENGTH = 2000


async def register(
    conn: AsyncConnection, name: str, last_fire_at: datetime | None, now: datetime
) -> Row[Any]:
    """The job's state row, created on first sight with `last_fire_at` as its starting point."""
    await insert_many_if_absent(
        conn,
        job_states,
        [{"name": name, "last_fire_at": last_fire_at, "created_at": now}],
        ["name"],
    )
    return (await conn.execute(select(job_states).where(job_states.c.name == name))).one()


async def claim_fire(conn: AsyncConnection, name: str, fire: datetime, now: datetime) -> bool:
    """Claim the scheduled time `fire` for this process: False when a process already did."""
    statement = (
        update(job_states)
        .where(
            job_states.c.name == name,
            or_(job_states.c.last_fire_at.is_(None), job_states.c.last_fire_at < fire),
        )
        .values(last_fire_at=fire, last_started_at=now, last_status="running", last_error=None)
    )
    return (await conn.execute(statement)).rowcount == 1


async def last_fire(conn: AsyncConnection, name: str) -> datetime | None:
    statement = select(job_states.c.last_fire_at).where(job_states.c.name == name)
    return (await conn.execute(statement)).scalar_one_or_none()


async def record_run(
    conn: AsyncConnection,
    name: str,
    *,
    started_at: datetime,
    finished_at: datetime,
    error: str | None,
    result: dict[str, Any] | None,
) -> None:
    await conn.execute(
        update(job_states)
        .where(job_states.c.name == name)
        .values(
            last_started_at=started_at,
            last_finished_at=finished_at,
            last_status="failed" if error is not None else "succeeded",
            last_error=error[:ERROR_LENGTH] if error is not None else None,
            last_result=result,
        )
    )


async def list_states(conn: AsyncConnection) -> list[Row[Any]]:
    return list(await conn.execute(select(job_states).order_by(job_states.c.name)))
