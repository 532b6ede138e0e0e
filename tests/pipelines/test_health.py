"""Each pipeline's health status, computed in SQL for the whole list (read through /ui)."""

import re
from datetime import UTC, datetime, timedelta

import httpx

from tests.factories import create_pipeline, end_run, start_run

ROW = re.compile(r'data-pipeline-id="(\d+)" data-status="([a-z-]+)"')


def _ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


async def _statuses(client: httpx.AsyncClient, name_part: str, query: str = "") -> dict[int, str]:
    response = await client.get(f"/ui?q={name_part}{query}")
    assert response.status_code == 200
    return {int(pid): status for pid, status in ROW.findall(response.text)}


async def _run(
    client: httpx.AsyncClient, pipeline_id: int, started: str, ended: str | None, ok: bool = True
) -> int:
    run_id = await start_run(client, pipeline_id, start_date=started)
    if ended is not None:
        response = await end_run(
            client, run_id, end_date=ended, completed_successfully=ok, inserts=1, total_rows=1
        )
        assert response.status_code == 204, response.text
    return run_id


async def test_each_status_follows_the_data(client: httpx.AsyncClient, unique: str) -> None:
    def name(what: str) -> str:
        return f"health_{unique}_{what}"

    never = await create_pipeline(client, name("never"))
    healthy = await create_pipeline(client, name("healthy"))
    await _run(client, healthy, _ago(minutes=10), _ago(minutes=9))
    failed = await create_pipeline(client, name("failed"))
    await _run(client, failed, _ago(minutes=10), _ago(minutes=9), ok=False)
    failed_then_running = await create_pipeline(client, name("failed_then_running"))
    await _run(client, failed_then_running, _ago(minutes=10), _ago(minutes=9), ok=False)
    await _run(client, failed_then_running, _ago(minutes=1), None)
    running = await create_pipeline(client, name("running"))
    await _run(client, running, _ago(minutes=10), _ago(minutes=9))
    await _run(client, running, _ago(minutes=1), None)
    inactive = await create_pipeline(client, name("inactive"))
    await client.patch("/pipeline", json={"id": inactive, "active": False})

    statuses = await _statuses(client, f"health_{unique}_")
    assert statuses == {
        never: "never-run",
        healthy: "healthy",
        failed: "failed",
        failed_then_running: "failed",
        running: "running",
        inactive: "inactive",
    }


async def test_overdue_runs_by_the_pipeline_or_its_type(
    client: httpx.AsyncClient, unique: str
) -> None:
    minute = {"timeliness_number": 1, "timeliness_datepart": "minute"}
    still_going = await create_pipeline(client, f"overdue_{unique}_going", **minute)
    await _run(client, still_going, _ago(minutes=10), None)
    finished_late = await create_pipeline(client, f"overdue_{unique}_late", **minute)
    await _run(client, finished_late, _ago(minutes=10), _ago(minutes=5))
    on_time = await create_pipeline(client, f"overdue_{unique}_on_time", **minute)
    await _run(client, on_time, _ago(minutes=10), _ago(minutes=9, seconds=30))
    type_name = f"typed_{unique}"
    response = await client.post(
        "/pipeline_type",
        json={"name": type_name, "timeliness_number": 2, "timeliness_datepart": "minute"},
    )
    assert response.status_code == 201
    by_type = await create_pipeline(
        client, f"overdue_{unique}_by_type", pipeline_type_name=type_name
    )
    await _run(client, by_type, _ago(minutes=3), None)

    statuses = await _statuses(client, f"overdue_{unique}_")
    assert statuses == {
        still_going: "overdue",
        finished_late: "overdue",
        on_time: "healthy",
        by_type: "overdue",
    }
    # Muting the type's check turns it off for its pipelines: the run is only running.
    await client.patch("/pipeline_type", json={"name": type_name, "mute_timeliness_check": True})
    page = (await client.get(f"/ui?q=overdue_{unique}_by_type")).text
    assert f'data-pipeline-id="{by_type}" data-status="running"' in page
    assert "timeliness muted" in page


async def test_stale_counts_from_the_last_load_or_the_creation(
    client: httpx.AsyncClient, unique: str
) -> None:
    minute = {"freshness_number": 1, "freshness_datepart": "minute"}
    stale = await create_pipeline(client, f"stale_{unique}_old_load", **minute)
    await _run(client, stale, _ago(minutes=10), _ago(minutes=9))
    fresh = await create_pipeline(
        client, f"stale_{unique}_fresh", freshness_number=1, freshness_datepart="day"
    )
    await _run(client, fresh, _ago(minutes=10), _ago(minutes=9))
    new = await create_pipeline(client, f"stale_{unique}_new", **minute)
    muted = await create_pipeline(
        client, f"stale_{unique}_muted", **minute, mute_freshness_check=True
    )
    await _run(client, muted, _ago(minutes=10), _ago(minutes=9))

    statuses = await _statuses(client, f"stale_{unique}_")
    assert statuses == {stale: "stale", fresh: "healthy", new: "never-run", muted: "healthy"}


async def test_an_anomaly_until_it_is_unflagged(client: httpx.AsyncClient, unique: str) -> None:
    pipeline_id = await create_pipeline(client, f"anomalous_{unique}")
    for hours in range(6, 0, -1):
        start = datetime.now(UTC) - timedelta(hours=hours)
        await _run(
            client,
            pipeline_id,
            start.isoformat(),
            (start + timedelta(seconds=60 + hours)).isoformat(),
        )
    rule = {"pipeline_id": pipeline_id, "metric_field": "duration_seconds", "minimum_executions": 3}
    assert (await client.post("/anomaly_detection_rule", json=rule)).status_code == 201
    slow = await _run(client, pipeline_id, _ago(minutes=30), _ago(minutes=5))
    detection = await client.post(f"/anomaly_detection/detect/{pipeline_id}")
    assert detection.json()["status"] == "warning"
    assert await _statuses(client, f"anomalous_{unique}") == {pipeline_id: "anomaly"}

    body = {
        "pipeline_id": pipeline_id,
        "pipeline_execution_id": slow,
        "metric_field": ["duration_seconds"],
    }
    assert (await client.post("/unflag_anomaly", json=body)).status_code == 204
    assert await _statuses(client, f"anomalous_{unique}") == {pipeline_id: "healthy"}


async def test_worst_first_filters_and_counts(client: httpx.AsyncClient, unique: str) -> None:
    names = {}
    for what, ok in (("b_ok", True), ("a_ok", True), ("c_bad", False)):
        names[what] = await create_pipeline(
            client, f"order_{unique}_{what}", pipeline_type_name=f"t_{unique}"
        )
        await _run(client, names[what], _ago(minutes=5), _ago(minutes=4), ok=ok)
    names["d_new"] = await create_pipeline(client, f"order_{unique}_d_new")

    page = (await client.get(f"/ui?q=order_{unique}")).text
    order = [int(pid) for pid, _ in ROW.findall(page)]
    assert order == [names["c_bad"], names["a_ok"], names["b_ok"], names["d_new"]]

    failed_only = await _statuses(client, f"order_{unique}", "&status=failed")
    assert failed_only == {names["c_bad"]: "failed"}
    of_type = await _statuses(client, f"order_{unique}", f"&type=t_{unique}")
    assert set(of_type) == {names["a_ok"], names["b_ok"], names["c_bad"]}
    counts = re.findall(
        r'<span class="n">(\d+)</span>',
        (await client.get(f"/ui?q=order_{unique}&status=failed")).text,
    )
    # failed, overdue, stale, anomaly, running, healthy, never run, inactive
    assert [int(n) for n in counts] == [1, 0, 0, 0, 0, 2, 1, 0]


async def test_pages_of_fifty(client: httpx.AsyncClient, unique: str) -> None:
    for number in range(53):
        await create_pipeline(client, f"paged_{unique}_{number:03d}")
    first = await _statuses(client, f"paged_{unique}_")
    second = await _statuses(client, f"paged_{unique}_", "&page=2")
    assert len(first) == 50
    assert len(second) == 3
    assert not set(first) & set(second)
    garbage = await _statuses(client, f"paged_{unique}_", "&page=-3&status=nonsense")
    assert garbage == first
