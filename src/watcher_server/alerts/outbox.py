"""The outbox: how any domain raises an alert, inside the transaction that found the problem.

    await enqueue_alert(conn, AlertDraft(kind=..., level=AlertLevel.WARNING, ...), now)

The alert is committed (or rolled back) with the caller's own rows; the delivery job sends it
afterwards to every configured channel, retrying until each one accepts it.
"""

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from watcher_server.models import Alert
from watcher_server.models.alerts import ALERT_SUBJECT_LENGTH, ALERT_TITLE_LENGTH

alerts = Alert.__table__


class AlertLevel(enum.StrEnum):
    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"


@dataclass(frozen=True)
class AlertDraft:
    """An alert to send: `kind` names what happened (e.g. "freshness.stale"), for filtering."""

    kind: str
    level: AlertLevel
    title: str
    message: str
    details: Mapping[str, str] = field(default_factory=dict)
    pipeline_id: int | None = None
    subject: str | None = None


async def enqueue_alert(conn: AsyncConnection, draft: AlertDraft, now: datetime) -> int:
    """Write one alert in the caller's transaction; answers its id."""
    statement = insert(alerts).values(**_row(draft, now)).returning(alerts.c.id)
    return (await conn.execute(statement)).scalar_one()


async def enqueue_alerts(
    conn: AsyncConnection, drafts: Sequence[AlertDraft], now: datetime
) -> None:
    """Write many alerts in the caller's transaction, in one batched statement."""
    if drafts:
        await conn.execute(insert(alerts), [_row(draft, now) for draft in drafts])


def _row(draft: AlertDraft, now: datetime) -> dict[str, Any]:
    return {
        "kind": draft.kind[:100],
        "level": AlertLevel(draft.level).value,
        "title": draft.title[:ALERT_TITLE_LENGTH],
        "message": draft.message,
        "details": [[str(key), str(value)] for key, value in draft.details.items()] or None,
        "pipeline_id": draft.pipeline_id,
        "subject": draft.subject[:ALERT_SUBJECT_LENGTH] if draft.subject else None,
        "created_at": now,
    }
