"""What a channel receives: the Slack text (the original Watcher's layout) and the JSON body.

Pure functions, no database.
"""

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from watcher_server.alerts.outbox import AlertLevel

EMOJI = {
    AlertLevel.INFO: "ℹ️",  # noqa: RUF001 - the information sign is the intended emoji
    AlertLevel.SUCCESS: "✅",
    AlertLevel.WARNING: "⚠️",
    AlertLevel.ERROR: "❌",
    AlertLevel.CRITICAL: "🚨",
}


@dataclass(frozen=True)
class OutgoingAlert:
    """A stored alert, as the channels send it."""

    id: int
    created_at: datetime
    kind: str
    level: AlertLevel
    title: str
    message: str
    details: tuple[tuple[str, str], ...]
    pipeline_id: int | None
    subject: str | None


def slack_text(alert: OutgoingAlert) -> str:
    """The message text in Slack mrkdwn, laid out as the original Watcher did, plus the id."""
    lines = [
        f"{EMOJI[alert.level]} *{alert.level.value.upper()}*",
        f"*{alert.title}*",
        f"*Timestamp:* {alert.created_at:%Y-%m-%d %H:%M:%S} UTC",
        f"*Message:* {alert.message}",
        "",
        "*Details:*",
    ]
    lines += [f"• *{key}:* {value}" for key, value in alert.details]
    lines.append(f"• *Alert ID:* {alert.id}")
    return "\n".join(lines)


def webhook_payload(alert: OutgoingAlert) -> dict[str, Any]:
    """The JSON document the generic webhook receives."""
    return {
        "id": alert.id,
        "kind": alert.kind,
        "level": alert.level.value,
        "title": alert.title,
        "message": alert.message,
        "details": dict(alert.details),
        "pipeline_id": alert.pipeline_id,
        "subject": alert.subject,
        "created_at": alert.created_at.isoformat().replace("+00:00", "Z"),
        "text": slack_text(alert),
    }


def encode_json(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>`: HMAC-SHA256 of `<timestamp>.<body>` with the shared secret."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"
