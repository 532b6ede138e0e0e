"""GET /report/daily: figures equal to those computed from the runs a test creates, through
every way a run ends; CSV of the same rows; filters, sorting and paging; bad input."""

import asyncio
import csv
import io
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import app_client
from tests.factories import create_pipeline, end_run, start_run
from tests.maintenance.conftest import log_cleanup, new_era, run
from watcher_server.settings import Settings

NOW = datetime.now(UTC)


async def _run(
    client: httpx.AsyncClient, pipeline_id: int, started: datetime, seconds: float, **end: Any
) -> int:
    run_id = await start_run(client, pipeline_id, start_date=started.isoformat())
    ended = started + timedelta(seconds=seconds)
    response = await end_run(client, run_id, end_date=ended.isoformat(), **end)
    assert response.status_code == 204, response.text
    return run_id


async def _pipelines(client: httpx.AsyncClient, unique: str) -> tuple[int, int, int]:
    """Two pipelines of a type of this test's own, and the type's id."""
    kind = f"report type {unique}"
    first = await create_pipeline(client, f"report a {unique}", pipeline_type_name=kind)
    second = await create_pipeline(client, f"report b {unique}", pipeline_type_name=kind)
    type_id = (await client.get(f"/pipeline/{first}")).json()["pipeline_type_id"]
    return first, second, type_id


async def _expected(client: httpx.AsyncClient, pipeline_ids: list[int]) -> dict[tuple, dict]:
    """The report's rows computed here from the runs as the API reads them back."""
    sums: dict[tuple, dict[str, Any]] = defaultdict(lambda: defaultdict(float))
    for pipeline_id in pipeline_ids:
        runs = (await client.get("/pipeline_execution", params={"pipeline_id": pipeline_id})).json()
        for ran in runs:
            if ran["end_date"] is None:
                continue
            row = sums[(ran["start_date"][:10], pipeline_id)]
            row["runs"] += 1
            row["failed"] += not ran["completed_successfully"]
            for count in ("inserts", "updates", "soft_deletes", "total_rows"):
                row[count] += ran[count] or 0
            row["duration"] += ran["duration_seconds"]
            if ran["throughput"] is not None:
                row["throughputs"] += 1
                row["throughput"] += ran["throughput"]
    return {
        key: {
            "runs": row["runs"],
            "failed": row["failed"],
            "error_rate": row["failed"] / row["runs"],
            "inserts": row["inserts"],
            "updates": row["updates"],
            "soft_deletes": row["soft_deletes"],
            "total_rows": row["total_rows"],
            "average_duration_seconds": row["duration"] / row["runs"],
            "throughput": row["throughput"] / row["throughputs"] if row["throughputs"] else None,
        }
        for key, row in sums.items()
    }


def _figures(row: dict[str, Any]) -> dict[str, Any]:
    names = ("day", "pipeline_id", "pipeline_name", "pipeline_type_name")
    return {name: value for name, value in row.items() if name not in names}


async def _report(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get("/report/daily", params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_figures_equal_those_of_the_runs(client: httpx.AsyncClient, unique: str) -> None:
    first, second, type_id = await _pipelines(client, unique)
    today = NOW.replace(hour=0, minute=0, second=0, microsecond=0)
    yesterday = today - timedelta(days=1)
    await _run(client, first, today, 10, inserts=10, updates=2, total_rows=12)
    await _run(client, first, today + timedelta(seconds=30), 4, inserts=3, total_rows=3)
    await _run(client, first, today + timedelta(minutes=1), 7, completed_successfully=False)
    # Metadata at the end (SQLite then takes the checked path) and an end before the start.
    await _run(client, first, yesterday, 90, soft_deletes=4, execution_metadata={"k": 1})
    await _run(client, second, yesterday + timedelta(hours=23), -1, total_rows=5)
    await start_run(client, second, start_date=today.isoformat())  # still running
    # A repeated end changes nothing.
    repeated = await _run(client, second, today, 20, updates=8, total_rows=8)
    same = await end_run(
        client,
        repeated,
        end_date=(today + timedelta(seconds=20)).isoformat(),
        updates=8,
        total_rows=8,
    )
    assert same.status_code == 204

    report = await _report(client, pipeline_type_id=type_id)

    expected = await _expected(client, [first, second])
    got = {(row["day"], row["pipeline_id"]): _figures(row) for row in report["rows"]}
    assert got.keys() == expected.keys()
    for key, figures in got.items():
        assert figures == pytest.approx(expected[key]), key
    assert set(got) == {
        (today.date().isoformat(), first),
        (yesterday.date().isoformat(), first),
        (yesterday.date().isoformat(), second),
        (today.date().isoformat(), second),
    }
    assert report["row_count"] == 4
    runs = sum(row["runs"] for row in expected.values())
    failed = sum(row["failed"] for row in expected.values())
    assert (report["totals"]["runs"], report["totals"]["failed"]) == (runs, failed) == (6, 1)
    assert report["totals"]["error_rate"] == pytest.approx(1 / 6)
    assert report["totals"]["total_rows"] == 12 + 3 + 5 + 8
    # Each day added up over both pipelines, oldest first: yesterday 2 runs, today 4 (1 failed).
    assert report["days"] == [
        {"day": yesterday.date().isoformat(), "runs": 2, "failed": 0, "error_rate": 0.0},
        {"day": today.date().isoformat(), "runs": 4, "failed": 1, "error_rate": 0.25},
    ]
    assert report["last_day"] == NOW.date().isoformat()
    assert report["first_day"] == (NOW.date() - timedelta(days=29)).isoformat()
    names = {row["pipeline_name"] for row in report["rows"]}
    assert names == {f"report a {unique}", f"report b {unique}"}


async def test_csv_holds_the_same_rows(client: httpx.AsyncClient, unique: str) -> None:
    first, second, type_id = await _pipelines(client, unique)
    await _run(client, first, NOW - timedelta(days=2), 5, inserts=1, total_rows=1)
    await _run(client, second, NOW - timedelta(days=1), 5, completed_successfully=False)
    params = {"pipeline_type_id": type_id}

    response = await client.get("/report/daily", params={**params, "format": "csv"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    json_rows = (await _report(client, **params))["rows"]
    assert len(rows) == len(json_rows) == 2
    for row, json_row in zip(rows, json_rows, strict=True):
        assert row == {k: "" if v is None else str(v) for k, v in json_row.items()}


async def test_filters_sorting_and_paging(client: httpx.AsyncClient, unique: str) -> None:
    first, second, type_id = await _pipelines(client, unique)
    for days_ago in range(4):
        started = NOW - timedelta(days=days_ago)
        for _ in range(days_ago + 1):
            await _run(client, first, started, 2, total_rows=days_ago)
    await _run(client, second, NOW - timedelta(days=10), 2)
    by_type = {"pipeline_type_id": type_id}

    assert (await _report(client, **by_type, days=5))["row_count"] == 4
    assert (await _report(client, **by_type))["row_count"] == 5
    only_second = await _report(client, pipeline_id=second)
    assert [row["pipeline_id"] for row in only_second["rows"]] == [second]
    today = await _report(client, **by_type, days=1)
    assert [(row["day"], row["runs"]) for row in today["rows"]] == [(NOW.date().isoformat(), 1)]

    newest_first = await _report(client, **by_type)
    days = [row["day"] for row in newest_first["rows"]]
    assert days == sorted(days, reverse=True)
    by_runs = await _report(client, **by_type, sort="-runs")
    assert [row["runs"] for row in by_runs["rows"]] == [4, 3, 2, 1, 1]
    by_rows = await _report(client, **by_type, sort="total_rows")
    assert [row["total_rows"] for row in by_rows["rows"]] == [0, 0, 2, 6, 12]

    pages = [await _report(client, **by_type, sort="-runs", limit=2, offset=o) for o in (0, 2, 4)]
    assert [row for page in pages for row in page["rows"]] == by_runs["rows"]
    assert all(page["row_count"] == 5 for page in pages)
    assert pages[0]["totals"] == by_runs["totals"]
    assert (await _report(client, pipeline_id=first, pipeline_type_id=type_id))["row_count"] == 4


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"days": 0}, "days"),
        ({"days": 367}, "days"),
        ({"days": "week"}, "days"),
        ({"pipeline_id": 0}, "pipeline_id"),
        ({"pipeline_type_id": "x"}, "pipeline_type_id"),
        ({"sort": "name"}, "sort"),
        ({"format": "xml"}, "format"),
        ({"limit": 0}, "limit"),
        ({"offset": -1}, "offset"),
    ],
)
async def test_bad_input_is_422_naming_the_field(
    client: httpx.AsyncClient, params: dict[str, Any], field: str
) -> None:
    response = await client.get("/report/daily", params=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", field]


async def test_concurrent_ends_of_one_day_each_count(
    client: httpx.AsyncClient, unique: str
) -> None:
    first, _, _ = await _pipelines(client, unique)
    started = NOW - timedelta(hours=1)
    run_ids = [
        await start_run(client, first, start_date=(started + timedelta(seconds=i)).isoformat())
        for i in range(20)
    ]
    ended = (started + timedelta(minutes=1)).isoformat()

    responses = await asyncio.gather(
        *(end_run(client, run_id, end_date=ended, inserts=1) for run_id in run_ids)
    )

    assert {response.status_code for response in responses} == {204}
    report = await _report(client, pipeline_id=first)
    assert [(row["runs"], row["inserts"]) for row in report["rows"]] == [(20, 20)]


async def test_runs_deleted_by_log_cleanup_leave_the_report(
    client: httpx.AsyncClient, settings: Settings, unique: str
) -> None:
    era = new_era()
    first, _, _ = await _pipelines(client, unique)
    await run(client, first, era.old(), inserts=5)
    await run(client, first, era.old(1), completed_successfully=False)
    await run(client, first, era.young(), inserts=7)

    async def report() -> list[tuple[date, int, int]]:
        async with app_client(settings, clock=lambda: era.now) as then:
            rows = (await _report(then, pipeline_id=first, days=366))["rows"]
        return [(row["day"], row["runs"], row["inserts"]) for row in rows]

    old_day, young_day = era.old().date().isoformat(), era.young().date().isoformat()
    assert await report() == [(young_day, 1, 7), (old_day, 2, 5)]
    await log_cleanup(settings, era.now)
    assert await report() == [(young_day, 1, 7)]
