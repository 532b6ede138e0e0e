"""The delivery job against a real HTTP receiver: nothing lost, nothing sent twice."""

import asyncio
import hashlib
import hmac
from collections import Counter
from datetime import datetime, timedelta

from tests.alerts.conftest import SECRET, channel_settings, job_context, raise_alerts
from tests.clock import MovableClock
from tests.conftest import app_client
from tests.factories import create_pipeline
from tests.receiver import AlertReceiver
from watcher_server.alerts import repository as alert_repository
from watcher_server.alerts.delivery import deliver_alerts
from watcher_server.jobs.spec import JobContext


async def deliver_until_idle(context: JobContext) -> None:
    for _ in range(100):
        if await deliver_alerts(context) == 0:
            return
    raise AssertionError("the delivery job never ran out of work")


async def read_alerts(url: str, kind: str) -> list[dict]:
    async with app_client(channel_settings(url, None)) as http:
        response = await http.get("/alert", params={"kind": kind})
    assert response.status_code == 200, response.text
    return response.json()


def arrivals(receiver: AlertReceiver, path: str) -> Counter[int]:
    return Counter(
        request.json["id"] if path == "/hook" else _slack_id(request.json["text"])
        for request in receiver.accepted_on(path)
    )


def _slack_id(text: str) -> int:
    return int(text.rsplit("*Alert ID:* ", 1)[1])


async def test_alerts_survive_an_hour_long_outage_and_a_restart_and_arrive_once(
    alerts_database_url: str, receiver: AlertReceiver, clock: MovableClock, unique: str
) -> None:
    settings = channel_settings(alerts_database_url, receiver)
    receiver.failing = 503
    async with job_context(settings, clock) as first_process:
        ids = await raise_alerts(first_process, 5, unique)
        for _ in range(30):  # half an hour of 503s
            await deliver_alerts(first_process)
            clock.advance(seconds=61)

    during = await read_alerts(alerts_database_url, f"test.{unique}")
    assert {alert["status"] for alert in during} == {"pending"}
    probe = max((d for a in during for d in a["deliveries"]), key=lambda d: d["attempts"])
    assert probe["attempts"] >= 10
    assert probe["last_error"].startswith("HTTP 503")
    assert receiver.refused >= 60  # both channels were tried all along

    receiver.stop()  # now unreachable; then Watcher restarts (a new process, same database)
    async with job_context(settings, clock) as second_process:
        for _ in range(30):  # another half hour, connection refused
            await deliver_alerts(second_process)
            clock.advance(seconds=61)
        receiver.start()
        receiver.failing = None
        clock.advance(seconds=61)  # at most one capped backoff after the channel is back
        await deliver_until_idle(second_process)

    for path in ("/slack", "/hook"):
        assert arrivals(receiver, path) == Counter(ids), path  # every alert, exactly once
    after = await read_alerts(alerts_database_url, f"test.{unique}")
    assert {alert["status"] for alert in after} == {"delivered"}
    attempts = [d["attempts"] for alert in after for d in alert["deliveries"]]
    assert max(attempts) > 30
    assert any("ConnectError" in (d["last_error"] or "") for a in after for d in a["deliveries"])


async def test_backoff_doubles_and_is_capped(
    alerts_database_url: str, receiver: AlertReceiver, clock: MovableClock, unique: str
) -> None:
    settings = channel_settings(alerts_database_url, receiver, watcher_alert_retry_max_seconds=5)
    receiver.failing = 500
    async with job_context(settings, clock) as context:
        [alert_id] = await raise_alerts(context, 1, unique)
        delays = []
        for _ in range(5):
            await deliver_alerts(context)
            [alert] = await read_alerts(alerts_database_url, f"test.{unique}")
            hook = next(d for d in alert["deliveries"] if d["channel"] == "webhook")
            delays.append(_seconds_between(hook["last_attempt_at"], hook["next_attempt_at"]))
            clock.advance(seconds=10)
        receiver.failing = None
        await deliver_until_idle(context)
    assert delays == [1, 2, 4, 5, 5]
    assert arrivals(receiver, "/hook") == Counter([alert_id])


async def test_a_send_cut_off_by_a_crash_is_sent_again_after_its_lease(
    alerts_database_url: str, receiver: AlertReceiver, clock: MovableClock, unique: str
) -> None:
    settings = channel_settings(alerts_database_url, receiver)
    async with job_context(settings, clock) as crashing:
        ids = await raise_alerts(crashing, 2, unique)
        async with crashing.database.transaction() as conn:  # claims them, then dies
            await alert_repository.route_new_alerts(conn, ["slack", "webhook"], clock.now)
            lease_end = clock.now + timedelta(minutes=5)
            claimed = await alert_repository.claim_due(
                conn, ["slack", "webhook"], clock.now, lease_end, 20
            )
        assert len(claimed) == 4

    async with job_context(settings, clock) as survivor:
        assert await deliver_alerts(survivor) == 0  # still leased to the dead process
        clock.advance(minutes=6)
        await deliver_until_idle(survivor)

    assert arrivals(receiver, "/slack") == Counter(ids)
    assert arrivals(receiver, "/hook") == Counter(ids)


async def test_without_a_channel_an_alert_is_recorded_as_undeliverable(
    alerts_database_url: str, clock: MovableClock, unique: str
) -> None:
    async with job_context(channel_settings(alerts_database_url, None), clock) as context:
        [alert_id] = await raise_alerts(context, 1, unique)
        assert await deliver_alerts(context) == 0

    [alert] = await read_alerts(alerts_database_url, f"test.{unique}")
    assert (alert["id"], alert["status"], alert["deliveries"]) == (alert_id, "undeliverable", [])


async def test_a_healthy_channel_hears_a_finding_within_seconds(
    alerts_database_url: str, receiver: AlertReceiver, clock: MovableClock, unique: str
) -> None:
    settings = channel_settings(
        alerts_database_url,
        receiver,
        watcher_background_jobs=True,
        watcher_alert_poll_seconds=0.2,
    )
    async with app_client(settings, clock=clock) as http:
        pipeline_id = await create_pipeline(
            http, f"late {unique}", freshness_number=1, freshness_datepart="hour"
        )
        clock.advance(hours=2)
        found = await http.post("/freshness")
        assert [i["new"] for i in found.json()["items"] if i["pipeline_id"] == pipeline_id] == [
            True
        ]
        [alert] = (await http.get("/alert", params={"pipeline_id": pipeline_id})).json()

        elapsed = await receiver.wait_for(2, within=10)  # Slack and the webhook
        async with asyncio.timeout(5):  # the job records the answers just after they arrive
            while (await http.get(f"/alert/{alert['id']}")).json()["status"] != "delivered":  # noqa: ASYNC110
                await asyncio.sleep(0.05)

    assert elapsed < 10
    [hook] = receiver.accepted_on("/hook")
    assert hook.headers["x-watcher-alert-id"] == str(alert["id"])
    expected = hmac.new(
        SECRET.encode(),
        f"{hook.headers['x-watcher-timestamp']}.".encode() + hook.body,
        hashlib.sha256,
    ).hexdigest()
    assert hook.headers["x-watcher-signature"] == f"sha256={expected}"
    assert hook.json["kind"] == "freshness.stale"
    assert hook.json["pipeline_id"] == pipeline_id
    [slack] = receiver.accepted_on("/slack")
    lines = slack.json["text"].split("\n")
    assert lines[0:2] == ["⚠️ *WARNING*", "*Freshness Check - Pipeline*"]
    assert lines[3].startswith(f"*Message:* Pipeline Freshness Check - pipeline 'late {unique}'")
    assert lines[-1] == f"• *Alert ID:* {alert['id']}"


def _seconds_between(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
