"""HTTP route of /report/daily."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from watcher_server.deps import DatabaseDep, NowDep, PageDep
from watcher_server.reports import service
from watcher_server.reports.export import rows_as_csv
from watcher_server.reports.schemas import DailyReport, ReportFormat, ReportQuery, report_query

router = APIRouter(tags=["reports"])
_CSV = {"text/csv": {"schema": {"type": "string"}, "example": "day,pipeline_id,...\n"}}


@router.get(
    "/report/daily",
    response_model=DailyReport,
    responses={200: {"content": _CSV, "description": "The report, or with `format=csv` its rows."}},
)
async def daily_report(
    db: DatabaseDep,
    now: NowDep,
    page: PageDep,
    query: Annotated[ReportQuery, Depends(report_query)],
    format: Annotated[ReportFormat, Query(description="`csv`: the page's rows as CSV.")] = "json",
) -> DailyReport | Response:
    """Per UTC day and pipeline, its ended runs: how many, how many failed, the rows they
    wrote, their mean duration and throughput; with the totals of the whole report.

    A run counts on the day it started, from the moment it ends."""
    report = await service.daily_report(db, query, now, page.limit, page.offset)
    if format == "csv":
        filename = f"watcher-daily-{report.first_day}-{report.last_day}.csv"
        return Response(
            rows_as_csv(report.rows),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    return report
