"""GET /alert: alerts with their delivery state, filtered; bad input is a 4xx."""

import pytest

from tests.alerts.conftest import channel_settings, job_context, raise_alerts
from tests.clock import MovableClock
from tests.conftest import app_client
from tests.receiver import AlertReceiver
from watcher_server.alerts.delivery import deliver_alerts


async def test_alerts_are_listed_by_delivery_state(
    alerts_database_url: str, receiver: AlertReceiver, clock: MovableClock, unique: str
) -> None:
    settings = channel_settings(alerts_database_url, receiver)
    async with job_context(settings, clock) as context:
        delivered = await raise_alerts(context, 2, f"{unique}")
        await deliver_alerts(context)
        pending = await raise_alerts(context, 1, f"{unique}")

    async with app_client(settings) as http:

        async def ids(**params: str) -> list[int]:
            response = await http.get("/alert", params={"kind": f"test.{unique}", **params})
            assert response.status_code == 200, response.text
            return [alert["id"] for alert in response.json()]

        assert await ids() == sorted(delivered + pending, reverse=True)  # newest first
        assert await ids(status="pending") == pending
        assert await ids(status="delivered") == sorted(delivered, reverse=True)
        assert await ids(status="undeliverable") == []
        assert await ids(limit="1", offset="1") == [delivered[1]]
        one = (await http.get(f"/alert/{delivered[0]}")).json()

    assert one["status"] == "delivered"
    assert one["details"] == {"Number": "0"}
    assert sorted(d["channel"] for d in one["deliveries"]) == ["slack", "webhook"]
    assert all(d["next_attempt_at"] is None for d in one["deliveries"])
    # Clean up for the other tests of this module's database.
    async with job_context(settings, clock) as context:
        await deliver_alerts(context)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/alert/999999999", 404),
        ("/alert/0", 422),
        ("/alert?status=lost", 422),
        ("/alert?kind=a%00b", 422),
        ("/alert?pipeline_id=-1", 422),
    ],
)
async def test_bad_requests_are_4xx(alerts_database_url: str, path: str, status: int) -> None:
    async with app_client(channel_settings(alerts_database_url, None)) as http:
        response = await http.get(path)
    assert response.status_code == status, response.text
