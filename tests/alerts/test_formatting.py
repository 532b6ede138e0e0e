"""What channels receive, and the retry backoff, without a database."""

import hashlib
import hmac
from datetime import UTC, datetime

from watcher_server.alerts.backoff import retry_delay
from watcher_server.alerts.formatting import (
    OutgoingAlert,
    signature,
    slack_text,
    webhook_payload,
)
from watcher_server.alerts.outbox import AlertLevel

ALERT = OutgoingAlert(
    id=42,
    created_at=datetime(2026, 3, 1, 8, 5, 9, 123456, tzinfo=UTC),
    kind="freshness.stale",
    level=AlertLevel.WARNING,
    title="Freshness Check - Pipeline",
    message="pipeline 'orders' is stale",
    details=(("Failed Pipelines", "• orders (ID: 7)"), ("Stale Since", "2026-03-01 08:00:00 UTC")),
    pipeline_id=7,
    subject="pipeline:7",
)


def test_slack_text_follows_the_original_layout_and_carries_the_id() -> None:
    assert slack_text(ALERT).split("\n") == [
        "⚠️ *WARNING*",
        "*Freshness Check - Pipeline*",
        "*Timestamp:* 2026-03-01 08:05:09 UTC",
        "*Message:* pipeline 'orders' is stale",
        "",
        "*Details:*",
        "• *Failed Pipelines:* • orders (ID: 7)",
        "• *Stale Since:* 2026-03-01 08:00:00 UTC",
        "• *Alert ID:* 42",
    ]


def test_webhook_payload() -> None:
    payload = webhook_payload(ALERT)
    assert payload["id"] == 42
    assert payload["details"] == {
        "Failed Pipelines": "• orders (ID: 7)",
        "Stale Since": "2026-03-01 08:00:00 UTC",
    }
    assert payload["created_at"] == "2026-03-01T08:05:09.123456Z"
    assert payload["level"] == "warning"


def test_signature_is_hmac_sha256_of_timestamp_and_body() -> None:
    expected = hmac.new(b"s3cret", b"1700000000.{}", hashlib.sha256).hexdigest()
    assert signature("s3cret", "1700000000", b"{}") == f"sha256={expected}"


def test_backoff_doubles_up_to_the_cap() -> None:
    assert [retry_delay(n, 60) for n in range(9)] == [0, 1, 2, 4, 8, 16, 32, 60, 60]
    assert retry_delay(10_000, 60) == 60
