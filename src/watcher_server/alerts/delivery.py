"""The delivery job: sends due alerts to their channels and records every attempt.

Delivery is at least once: a process that dies between a channel's answer and the commit of
that answer sends the alert again later, with the same id, so receivers can drop repeats.
"""

import asyncio
import logging
from collections import defaultdict
from datetime import timedelta
from typing import Any

from sqlalchemy import Row

from watcher_server.alerts import repository as repo
from watcher_server.alerts.backoff import retry_delay
from watcher_server.alerts.channels import Channel, configured_channels
from watcher_server.alerts.formatting import OutgoingAlert
from watcher_server.alerts.outbox import AlertLevel
from watcher_server.jobs.spec import JobContext
from watcher_server.observability.metrics import ALERT_DELIVERIES

logger = logging.getLogger(__name__)

BATCH_SIZE = 20
LEASE_MARGIN_SECONDS = 30
RELEASE_TIMEOUT_SECONDS = 5
ERROR_LENGTH = 1000


async def deliver_alerts(context: JobContext) -> int:
    """Route new alerts to the configured channels, send what is due; answers how many arrived."""
    channels = {
        channel.name: channel for channel in configured_channels(context.settings, context.http)
    }
    now = context.clock()
    async with context.database.transaction() as conn:
        await repo.route_new_alerts(conn, list(channels), now)
        claimed = (
            await repo.claim_due(conn, list(channels), now, now + _lease(context), BATCH_SIZE)
            if channels
            else []
        )
    by_channel: dict[str, list[Row[Any]]] = defaultdict(list)
    for row in claimed:
        by_channel[row.channel].append(row)
    # Channels are sent to side by side; each finishes its batch even if another one fails.
    outcomes = await asyncio.gather(
        *(_send_in_order(context, channels[name], rows) for name, rows in by_channel.items()),
        return_exceptions=True,
    )
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    return sum(outcome for outcome in outcomes if isinstance(outcome, int))


def _lease(context: JobContext) -> timedelta:
    """Long enough for a whole batch of slow sends, so no other process takes them meanwhile."""
    per_send = context.settings.watcher_alert_timeout_seconds
    return timedelta(seconds=BATCH_SIZE * per_send + LEASE_MARGIN_SECONDS)


async def _send_in_order(context: JobContext, channel: Channel, rows: list[Row[Any]]) -> int:
    """Send one channel's batch in alert order; at its first failure the rest waits with it."""
    for index, row in enumerate(rows):
        try:
            await channel.send(_outgoing(row))
        except asyncio.CancelledError:
            await _release(context, rows[index:])
            raise
        except Exception as exc:
            ALERT_DELIVERIES.labels(channel.name, "failed").inc()
            await _record_failure(context, row, rows[index + 1 :], exc)
            return index
        ALERT_DELIVERIES.labels(channel.name, "delivered").inc()
        async with context.database.transaction() as conn:
            await repo.record_success(conn, row.delivery_id, context.clock())
    return len(rows)


async def _record_failure(
    context: JobContext, row: Row[Any], waiting: list[Row[Any]], exc: Exception
) -> None:
    """Count the failed attempt and back off; the rest of the batch is tried after it.

    While a channel is down it is therefore tried with one alert at a time, not the whole queue.
    """
    now = context.clock()
    delay = retry_delay(row.attempts + 1, context.settings.watcher_alert_retry_max_seconds)
    retry_at = now + timedelta(seconds=delay)
    error = str(exc) or type(exc).__name__
    logger.warning(
        "alert %s not delivered to %s (attempt %s): %s; next try in %.0f s",
        row.id,
        row.channel,
        row.attempts + 1,
        error,
        delay,
    )
    async with context.database.transaction() as conn:
        await repo.record_failure(conn, row.delivery_id, now, error[:ERROR_LENGTH], retry_at)
        if waiting:
            await repo.defer(conn, [other.delivery_id for other in waiting], retry_at)


async def _release(context: JobContext, rows: list[Row[Any]]) -> None:
    """On shutdown, hand unsent deliveries back at once instead of waiting for their lease."""
    try:
        async with asyncio.timeout(RELEASE_TIMEOUT_SECONDS):
            async with context.database.transaction() as conn:
                await repo.defer(conn, [row.delivery_id for row in rows], context.clock())
    except Exception as exc:
        # Nothing is lost: their lease ends and they are sent then.
        logger.warning("could not release %s alert deliveries: %s", len(rows), exc)


def _outgoing(row: Row[Any]) -> OutgoingAlert:
    return OutgoingAlert(
        id=row.id,
        created_at=row.created_at,
        kind=row.kind,
        level=AlertLevel(row.level),
        title=row.title,
        message=row.message,
        details=tuple((str(key), str(value)) for key, value in row.details or ()),
        pipeline_id=row.pipeline_id,
        subject=row.subject,
    )
