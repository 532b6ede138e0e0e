"""Reading alerts and the state of their delivery."""

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from watcher_server.alerts import repository as repo
from watcher_server.alerts.schemas import AlertDeliveryOut, AlertOut, AlertStatus, DeliveryQueueOut
from watcher_server.db import Database
from watcher_server.errors import NotFound


async def list_alerts(
    db: Database,
    *,
    status: AlertStatus | None,
    pipeline_id: int | None,
    kind: str | None,
    limit: int,
    offset: int,
) -> list[AlertOut]:
    async with db.transaction() as conn:
        rows = await repo.list_alerts(
            conn, status=status, pipeline_id=pipeline_id, kind=kind, limit=limit, offset=offset
        )
        return await _with_deliveries(conn, rows)


async def get_alert(db: Database, alert_id: int) -> AlertOut:
    async with db.transaction() as conn:
        row = await repo.get_alert(conn, alert_id)
        if row is None:
            raise NotFound(f"alert {alert_id} not found")
        return (await _with_deliveries(conn, [row]))[0]


async def _with_deliveries(conn: AsyncConnection, rows: list[Row[Any]]) -> list[AlertOut]:
    by_alert: dict[int, list[Row[Any]]] = defaultdict(list)
    for delivery in await repo.deliveries_of(conn, [row.id for row in rows]):
        by_alert[delivery.alert_id].append(delivery)
    return [_alert_out(row, by_alert[row.id]) for row in rows]


def _alert_out(row: Row[Any], deliveries: list[Row[Any]]) -> AlertOut:
    outs = [AlertDeliveryOut.model_validate(delivery) for delivery in deliveries]
    for out in outs:
        if out.status == repo.DELIVERED:
            out.next_attempt_at = None
    status: AlertStatus
    if row.routed_at is None or any(out.status == repo.PENDING for out in outs):
        status = "pending"
    else:
        status = "delivered" if outs else "undeliverable"
    return AlertOut(
        id=row.id,
        created_at=row.created_at,
        kind=row.kind,
        level=row.level,
        title=row.title,
        message=row.message,
        details={str(key): str(value) for key, value in row.details or ()},
        pipeline_id=row.pipeline_id,
        subject=row.subject,
        status=status,
        deliveries=outs,
    )


async def queue_health(
    conn: AsyncConnection, channels: list[str], now: datetime
) -> DeliveryQueueOut:
    counts = await repo.queue_counts(conn)
    waiting = [moment for moment in (counts.oldest_pending, counts.oldest_unrouted) if moment]
    oldest = min(waiting) if waiting else None
    return DeliveryQueueOut(
        channels=channels,
        pending_alerts=counts.pending_alerts + counts.unrouted,
        pending_deliveries=counts.pending_deliveries,
        failing_deliveries=counts.failing_deliveries,
        unrouted_alerts=counts.unrouted,
        oldest_pending_at=oldest,
        oldest_pending_age_seconds=(now - oldest).total_seconds() if oldest else None,
    )
