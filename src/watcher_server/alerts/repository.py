"""Every SQL statement on alert and alert_delivery (writing an alert is in outbox.py)."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, exists, func, not_, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from watcher_server.db.upsert import insert_many_if_absent
from watcher_server.models import Alert, AlertDelivery

alerts = Alert.__table__
deliveries = AlertDelivery.__table__

PENDING = "pending"
DELIVERED = "delivered"
ROUTE_BATCH = 500


async def route_new_alerts(conn: AsyncConnection, channels: Sequence[str], now: datetime) -> int:
    """Give each new alert one pending delivery per channel; answers how many alerts it routed.

    An alert routed while no channel is configured gets no delivery and is never sent.
    """
    new = (
        select(alerts.c.id)
        .where(alerts.c.routed_at.is_(None))
        .order_by(alerts.c.id)
        .limit(ROUTE_BATCH)
        .with_for_update(skip_locked=True)
    )
    alert_ids = list((await conn.execute(new)).scalars())
    if not alert_ids:
        return 0
    rows = [
        {
            "alert_id": alert_id,
            "channel": channel,
            "status": PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for alert_id in alert_ids
        for channel in channels
    ]
    await insert_many_if_absent(conn, deliveries, rows, ["alert_id", "channel"])
    await conn.execute(update(alerts).where(alerts.c.id.in_(alert_ids)).values(routed_at=now))
    return len(alert_ids)


async def claim_due(
    conn: AsyncConnection,
    channels: Sequence[str],
    now: datetime,
    lease_until: datetime,
    limit: int,
) -> list[Row[Any]]:
    """Take up to `limit` due deliveries (with their alert) until `lease_until`.

    Rows another process has locked are skipped; a claimed row is due again only when the lease
    ends, so a process that dies mid-send does not lose it.
    """
    due = (
        select(deliveries.c.id)
        .where(
            deliveries.c.status == PENDING,
            deliveries.c.next_attempt_at <= now,
            deliveries.c.channel.in_(channels),
        )
        .order_by(deliveries.c.next_attempt_at, deliveries.c.alert_id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list((await conn.execute(due)).scalars())
    if not ids:
        return []
    await defer(conn, ids, lease_until)
    statement = (
        select(
            deliveries.c.id.label("delivery_id"),
            deliveries.c.channel,
            deliveries.c.attempts,
            *alerts.c,
        )
        .join(alerts, alerts.c.id == deliveries.c.alert_id)
        .where(deliveries.c.id.in_(ids))
        .order_by(deliveries.c.alert_id)
    )
    return list(await conn.execute(statement))


async def defer(conn: AsyncConnection, delivery_ids: Sequence[int], until: datetime) -> None:
    """Make deliveries due at `until` without counting an attempt."""
    await conn.execute(
        update(deliveries).where(deliveries.c.id.in_(delivery_ids)).values(next_attempt_at=until)
    )


async def record_success(conn: AsyncConnection, delivery_id: int, now: datetime) -> None:
    await conn.execute(
        update(deliveries)
        .where(deliveries.c.id == delivery_id)
        .values(
            status=DELIVERED,
            attempts=deliveries.c.attempts + 1,
            last_attempt_at=now,
            delivered_at=now,
        )
    )


async def record_failure(
    conn: AsyncConnection, delivery_id: int, now: datetime, error: str, retry_at: datetime
) -> None:
    await conn.execute(
        update(deliveries)
        .where(deliveries.c.id == delivery_id)
        .values(
            attempts=deliveries.c.attempts + 1,
            last_attempt_at=now,
            last_error=error,
            next_attempt_at=retry_at,
        )
    )


def _status_filter(status: str) -> ColumnElement[bool]:
    """Alerts by overall state: pending (some channel still to hear it), delivered (every
    channel did), undeliverable (no channel was configured when it was routed)."""
    any_delivery = exists().where(deliveries.c.alert_id == alerts.c.id)
    pending_delivery = exists().where(
        deliveries.c.alert_id == alerts.c.id, deliveries.c.status == PENDING
    )
    routed = alerts.c.routed_at.is_not(None)
    return {
        "pending": or_(alerts.c.routed_at.is_(None), pending_delivery),
        "delivered": and_(routed, any_delivery, not_(pending_delivery)),
        "undeliverable": and_(routed, not_(any_delivery)),
    }[status]


async def list_alerts(
    conn: AsyncConnection,
    *,
    status: str | None,
    pipeline_id: int | None,
    kind: str | None,
    limit: int,
    offset: int,
) -> list[Row[Any]]:
    statement = select(alerts)
    if status is not None:
        statement = statement.where(_status_filter(status))
    if pipeline_id is not None:
        statement = statement.where(alerts.c.pipeline_id == pipeline_id)
    if kind is not None:
        statement = statement.where(alerts.c.kind == kind)
    statement = statement.order_by(alerts.c.id.desc()).limit(limit).offset(offset)
    return list(await conn.execute(statement))


async def get_alert(conn: AsyncConnection, alert_id: int) -> Row[Any] | None:
    return (await conn.execute(select(alerts).where(alerts.c.id == alert_id))).first()


async def deliveries_of(conn: AsyncConnection, alert_ids: Sequence[int]) -> list[Row[Any]]:
    if not alert_ids:
        return []
    statement = (
        select(deliveries)
        .where(deliveries.c.alert_id.in_(alert_ids))
        .order_by(deliveries.c.alert_id, deliveries.c.channel)
    )
    return list(await conn.execute(statement))


async def queue_counts(conn: AsyncConnection) -> Row[Any]:
    """Pending deliveries (and how many have failed at least once), alerts not yet routed, and
    the creation time of the oldest alert still waiting for a channel."""
    pending = (
        select(
            func.count().label("pending_deliveries"),
            func.count().filter(deliveries.c.attempts > 0).label("failing_deliveries"),
            func.count(func.distinct(deliveries.c.alert_id)).label("pending_alerts"),
            func.min(alerts.c.created_at).label("oldest"),
        )
        .select_from(deliveries.join(alerts, alerts.c.id == deliveries.c.alert_id))
        .where(deliveries.c.status == PENDING)
        .subquery()
    )
    unrouted = (
        select(func.count().label("unrouted"), func.min(alerts.c.created_at).label("oldest"))
        .where(alerts.c.routed_at.is_(None))
        .subquery()
    )
    statement = select(
        pending.c.pending_deliveries,
        pending.c.failing_deliveries,
        pending.c.pending_alerts,
        pending.c.oldest.label("oldest_pending"),
        unrouted.c.unrouted,
        unrouted.c.oldest.label("oldest_unrouted"),
    ).select_from(pending.join(unrouted, true()))  # one row each: joining them is safe
    return (await conn.execute(statement)).one()
