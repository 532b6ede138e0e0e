"""The daily report, read from the running sums the ends of runs keep."""

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from watcher_server.db import Database
from watcher_server.reports import repository as repo
from watcher_server.reports.schemas import (
    DailyReport,
    DayTotals,
    ReportQuery,
    ReportRow,
    ReportTotals,
)


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


async def daily_report(
    db: Database, query: ReportQuery, now: datetime, limit: int, offset: int
) -> DailyReport:
    """The last `query.days` UTC days up to `now`'s: one page of rows, and the totals of all."""
    async with db.transaction() as conn:
        return await read_report(conn, query, now, limit, offset)


async def read_report(
    conn: AsyncConnection, query: ReportQuery, now: datetime, limit: int, offset: int
) -> DailyReport:
    """`daily_report` inside the caller's transaction."""
    last_day = now.date()
    window = (last_day - timedelta(days=query.days - 1), last_day)
    order = (query.sort.removeprefix("-"), query.sort.startswith("-"))
    filters = (query.pipeline_id, query.pipeline_type_id)
    rows = await repo.report_rows(conn, window, *filters, order, limit, offset)
    days = await repo.report_day_totals(conn, window, *filters)
    sums = {name: sum(getattr(day, name) for day in days) for name in (*repo.TOTALLED, "row_count")}
    totals = ReportTotals(
        runs=sums["runs"],
        failed=sums["failed"],
        error_rate=_ratio(sums["failed"], sums["runs"]),
        total_rows=sums["total_rows"],
        throughput=_ratio(sums["throughput_sum"], sums["throughput_runs"]),
    )
    return DailyReport(
        first_day=window[0],
        last_day=window[1],
        row_count=sums["row_count"],
        limit=limit,
        offset=offset,
        totals=totals,
        days=[
            DayTotals(
                day=day.day,
                runs=day.runs,
                failed=day.failed,
                error_rate=day.failed / day.runs,
            )
            for day in days
        ],
        rows=[ReportRow.model_validate(row, from_attributes=True) for row in rows],
    )
