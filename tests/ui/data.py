"""Data for the browser tests, created through the HTTP API of the live server."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx


def ago(**delta: float) -> datetime:
    return datetime.now(UTC) - timedelta(**delta)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def create_pipeline(api: httpx.Client, name: str, **fields: Any) -> int:
    body = {"name": name, "pipeline_type_name": fields.pop("pipeline_type_name", "ui_tests")}
    response = api.post("/pipeline", json={**body, **fields})
    assert response.status_code in (200, 201), response.text
    return response.json()["id"]


def run(
    api: httpx.Client,
    pipeline_id: int,
    start: datetime,
    end: datetime | None,
    succeeded: bool = True,
    **fields: Any,
) -> int:
    """A run that started at `start` and, unless `end` is None, ended then."""
    parent = fields.pop("parent_id", None)
    body = {"pipeline_id": pipeline_id, "start_date": iso(start), "parent_id": parent}
    response = api.post("/start_pipeline_execution", json=body)
    assert response.status_code == 201, response.text
    run_id = response.json()["id"]
    if end is not None:
        outcome = {"id": run_id, "end_date": iso(end), "completed_successfully": succeeded}
        response = api.post("/end_pipeline_execution", json={**outcome, **fields})
        assert response.status_code == 204, response.text
    return run_id


def pipeline_with_history(
    api: httpx.Client, tag: str, name: str | None = None
) -> tuple[int, list[int], int, int]:
    """A pipeline with eight runs of about a minute (one failed), a duration rule, and a slow
    last run that detection flags. Answers (pipeline, runs, failed run, slow run)."""
    pipeline_id = create_pipeline(
        api, name or f"page_{tag}", freshness_number=1, freshness_datepart="day"
    )
    runs, failed = [], 0
    for hours in range(9, 1, -1):
        start = ago(hours=hours)
        ok = hours != 5
        runs.append(
            run(
                api,
                pipeline_id,
                start,
                start + timedelta(seconds=60 + hours),
                ok,
                total_rows=100 + hours,
                inserts=1,
            )
        )
        if not ok:
            failed = runs[-1]
    rule = {"pipeline_id": pipeline_id, "metric_field": "duration_seconds", "minimum_executions": 3}
    assert api.post("/anomaly_detection_rule", json=rule).status_code == 201
    slow = run(api, pipeline_id, ago(minutes=40), ago(minutes=10), total_rows=99, inserts=1)
    runs.append(slow)
    assert api.post(f"/anomaly_detection/detect/{pipeline_id}").json()["status"] == "warning"
    return pipeline_id, runs, failed, slow


def console_tour(api: httpx.Client) -> dict[str, str]:
    """A small fleet with a pipeline in each status, lineage, nested runs and alerts, for the
    pages' checks and docs/console.md's screenshots. Answers each page's path."""
    anomalous = pipeline_with_history(api, "", name="payments_daily")[0]
    api.patch("/pipeline", json={"id": anomalous, "pipeline_type_name": "finance"})
    orders = create_pipeline(
        api,
        "orders_incremental",
        pipeline_type_name="extraction",
        freshness_number=1,
        freshness_datepart="day",
    )
    for hours in (50, 26, 2):
        start = ago(hours=hours)
        run(api, orders, start, start + timedelta(seconds=95), total_rows=1200, inserts=40)
    steps = create_pipeline(api, "orders_steps", pipeline_type_name="transformation")
    root = run(api, orders, ago(minutes=12), None)
    extract = run(api, steps, ago(minutes=11), ago(minutes=7), parent_id=root, total_rows=900)
    run(api, steps, ago(minutes=10), ago(minutes=8), parent_id=extract, total_rows=450)
    run(api, steps, ago(minutes=6), ago(minutes=5), succeeded=False, parent_id=root)
    run(api, steps, ago(minutes=4), None, parent_id=root)
    rollup = create_pipeline(api, "sales_rollup", pipeline_type_name="transformation")
    for hours in (25, 1):
        run(api, rollup, ago(hours=hours), ago(hours=hours, seconds=-300), total_rows=80)
    lineage = {
        "pipeline_id": orders,
        "source_addresses": [
            {
                "name": "raw.public.orders",
                "address_type_name": "postgres",
                "address_type_group_name": "database",
            }
        ],
        "target_addresses": [
            {
                "name": "warehouse.sales.orders",
                "address_type_name": "snowflake",
                "address_type_group_name": "database",
            }
        ],
    }
    assert api.post("/address_lineage", json=lineage).status_code in (200, 201)
    failed = create_pipeline(api, "customers_snapshot", pipeline_type_name="snapshot")
    run(api, failed, ago(hours=3), ago(hours=3, seconds=-40), succeeded=False)
    stale = create_pipeline(
        api,
        "inventory_sync",
        pipeline_type_name="extraction",
        freshness_number=1,
        freshness_datepart="hour",
    )
    run(api, stale, ago(hours=3), ago(hours=3, seconds=-30), inserts=12, total_rows=12)
    late = create_pipeline(
        api,
        "invoices_export",
        pipeline_type_name="export",
        timeliness_number=15,
        timeliness_datepart="minute",
    )
    run(api, late, ago(minutes=40), None)
    running = create_pipeline(api, "events_stream", pipeline_type_name="streaming")
    run(api, running, ago(minutes=3), None)
    inactive = create_pipeline(api, "legacy_export", pipeline_type_name="export")
    api.patch("/pipeline", json={"id": inactive, "active": False})
    create_pipeline(api, "clickstream_backfill", pipeline_type_name="extraction")
    api.post("/freshness")
    api.post("/timeliness", json={})
    return {
        "overview": "/ui",
        "pipeline": f"/ui/pipelines/{anomalous}",
        "run": f"/ui/runs/{root}",
        "alerts": "/ui/alerts",
        "diagnostics": "/ui/diagnostics",
        "not-found": "/ui/pipelines/987654321",
    }
