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
