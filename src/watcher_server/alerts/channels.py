"""Where alerts go: a Slack incoming webhook and a generic JSON webhook."""

import time
from dataclasses import dataclass
from typing import ClassVar, Protocol

import httpx

from watcher_server.alerts.formatting import (
    OutgoingAlert,
    encode_json,
    signature,
    slack_text,
    webhook_payload,
)
from watcher_server.settings import Settings

ERROR_TEXT_LENGTH = 300


class DeliveryFailed(Exception):
    """The channel did not accept the alert (unreachable, timeout, or a non-2xx answer)."""


class Channel(Protocol):
    name: str

    async def send(self, alert: OutgoingAlert) -> None:
        """Deliver the alert or raise DeliveryFailed."""
        ...


@dataclass(frozen=True)
class SlackChannel:
    url: str
    http: httpx.AsyncClient
    name: ClassVar[str] = "slack"

    async def send(self, alert: OutgoingAlert) -> None:
        body = encode_json({"text": slack_text(alert)})
        await _post(self.http, self.url, body, _headers(alert))


@dataclass(frozen=True)
class WebhookChannel:
    """POSTs the alert as JSON; with a secret, signs it so the receiver can verify the sender."""

    url: str
    http: httpx.AsyncClient
    secret: str | None = None
    name: ClassVar[str] = "webhook"

    async def send(self, alert: OutgoingAlert) -> None:
        body = encode_json(webhook_payload(alert))
        headers = _headers(alert)
        if self.secret:
            timestamp = str(int(time.time()))
            headers["X-Watcher-Timestamp"] = timestamp
            headers["X-Watcher-Signature"] = signature(self.secret, timestamp, body)
        await _post(self.http, self.url, body, headers)


def configured_channels(settings: Settings, http: httpx.AsyncClient) -> list[Channel]:
    """The channels the settings name, in a fixed order."""
    channels: list[Channel] = []
    if settings.slack_webhook_url is not None:
        channels.append(SlackChannel(str(settings.slack_webhook_url), http))
    if settings.watcher_alert_webhook_url is not None:
        secret = settings.watcher_alert_webhook_secret
        channels.append(
            WebhookChannel(
                str(settings.watcher_alert_webhook_url),
                http,
                secret.get_secret_value() if secret is not None else None,
            )
        )
    return channels


def channel_names(settings: Settings) -> list[str]:
    names = []
    if settings.slack_webhook_url is not None:
        names.append(SlackChannel.name)
    if settings.watcher_alert_webhook_url is not None:
        names.append(WebhookChannel.name)
    return names


def _headers(alert: OutgoingAlert) -> dict[str, str]:
    # The id travels with every try, so a receiver can drop a repeat (delivery is at least once).
    return {"Content-Type": "application/json", "X-Watcher-Alert-Id": str(alert.id)}


async def _post(http: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str]) -> None:
    try:
        response = await http.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}"[:ERROR_TEXT_LENGTH]) from exc
    if not response.is_success:
        raise DeliveryFailed(f"HTTP {response.status_code}: {response.text}"[:ERROR_TEXT_LENGTH])
