"""Response bodies of /alert and of the delivery queue's health."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from watcher_server.common.schemas import ResponseModel

AlertStatus = Literal["pending", "delivered", "undeliverable"]


class AlertDeliveryOut(ResponseModel):
    channel: str
    status: Literal["pending", "delivered"]
    attempts: int
    next_attempt_at: datetime | None = Field(description="Null once delivered.")
    last_attempt_at: datetime | None
    last_error: str | None = Field(description="The last failure, kept after a later success.")
    delivered_at: datetime | None


class AlertOut(BaseModel):
    id: int = Field(description="Sent with the alert, so a receiver can drop repeats.")
    created_at: datetime
    kind: str
    level: str
    title: str
    message: str
    details: dict[str, str]
    pipeline_id: int | None
    subject: str | None
    status: AlertStatus = Field(
        description="pending until every channel accepted it; undeliverable when no channel "
        "was configured when it was routed."
    )
    deliveries: list[AlertDeliveryOut]


class DeliveryQueueOut(BaseModel):
    channels: list[str] = Field(description="Channels configured in this process.")
    pending_alerts: int = Field(description="Alerts some channel has not accepted yet.")
    pending_deliveries: int
    failing_deliveries: int = Field(description="Pending deliveries that failed at least once.")
    unrouted_alerts: int = Field(description="Alerts the delivery job has not picked up yet.")
    oldest_pending_at: datetime | None
    oldest_pending_age_seconds: float | None
