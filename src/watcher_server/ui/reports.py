"""The daily report page: the API's report, with filters, sortable columns and pages."""

import math
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from watcher_server.common.schemas import MAX_LIMIT
from watcher_server.db import Database
from watcher_server.pipelines import repository as pipelines_repo
from watcher_server.reports.schemas import MAX_DAYS, DailyReport, ReportQuery, ReportRow
from watcher_server.reports.service import read_report

PAGE_SIZE = 50
DEFAULT_DAYS = 30
DEFAULT_SORT = "-day"
MAX_TYPES_LISTED = 1000
SORTABLE = tuple(ReportRow.model_fields)
# Columns that read best largest first when first clicked.
NUMERIC = frozenset(SORTABLE) - {"pipeline_name", "pipeline_type_name"}


@dataclass(frozen=True)
class ReportPageQuery:
    """The page's state, all of it in its URL."""

    days: int = DEFAULT_DAYS
    pipeline: str | None = None
    type_id: int | None = None
    sort: str = DEFAULT_SORT
    page: int = 1

    @classmethod
    def parse(
        cls,
        days: str | None,
        pipeline: str | None,
        type_id: str | None,
        sort: str | None,
        page: int,
    ) -> "ReportPageQuery":
        """Lenient, as a page should be: a value that makes no sense is the default."""
        return cls(
            days=int(days)
            if days and days.isdigit() and 1 <= int(days) <= MAX_DAYS
            else DEFAULT_DAYS,
            pipeline=(pipeline or "").strip().lower() or None,
            type_id=int(type_id) if type_id and type_id.isdigit() and int(type_id) > 0 else None,
            sort=sort if sort and sort.removeprefix("-") in SORTABLE else DEFAULT_SORT,
            page=page,
        )

    def _parameters(self, **changes: Any) -> list[tuple[str, str]]:
        query = replace(self, **changes)
        values = [
            ("days", str(query.days) if query.days != DEFAULT_DAYS else ""),
            ("pipeline", query.pipeline or ""),
            ("type", str(query.type_id or "")),
            ("sort", query.sort if query.sort != DEFAULT_SORT else ""),
            ("page", str(query.page) if query.page > 1 else ""),
        ]
        return [(key, value) for key, value in values if value]

    def link(self, **changes: Any) -> str:
        """This page's URL with some of its state changed (paging restarts unless given)."""
        query = urlencode(self._parameters(**{"page": 1, **changes}))
        return f"/ui/reports?{query}" if query else "/ui/reports"

    def page_link(self, page: int) -> str:
        return self.link(page=page)

    def sort_link(self, column: str) -> str:
        """Sorted by `column`: descending first for figures, then the other way round."""
        first = f"-{column}" if column in NUMERIC else column
        flipped = column if self.sort == f"-{column}" else f"-{column}"
        return self.link(sort=flipped if self.sort.removeprefix("-") == column else first)

    def sorted_as(self, column: str) -> str | None:
        """The aria-sort value of `column`'s header."""
        if self.sort.removeprefix("-") != column:
            return None
        return "descending" if self.sort.startswith("-") else "ascending"


@dataclass
class ReportPage:
    query: ReportPageQuery
    report: DailyReport | None
    types: list[Any]
    pages: int
    csv_link: str
    unknown_pipeline: bool = False

    @property
    def chart(self) -> list[dict[str, Any]]:
        """The days the chart draws, as the page's JSON holds them."""
        return [day.model_dump(mode="json") for day in self.report.days] if self.report else []


async def report_page(db: Database, now: datetime, query: ReportPageQuery) -> ReportPage:
    """One page of the daily report, the totals of all of it, and the types to filter by."""
    async with db.transaction() as conn:
        types = await pipelines_repo.list_types(conn, MAX_TYPES_LISTED, 0)
        pipeline_id = None
        if query.pipeline is not None:
            pipeline_id = await pipelines_repo.get_pipeline_id_by_name(conn, query.pipeline)
            if pipeline_id is None:
                return ReportPage(query, None, types, 1, "", unknown_pipeline=True)
        wanted = ReportQuery(
            days=query.days,
            pipeline_id=pipeline_id,
            pipeline_type_id=query.type_id,
            sort=query.sort,
        )
        offset = (query.page - 1) * PAGE_SIZE
        report = await read_report(conn, wanted, now, PAGE_SIZE, offset)
    return ReportPage(
        query=query,
        report=report,
        types=sorted(types, key=lambda row: row.name),
        pages=max(1, math.ceil(report.row_count / PAGE_SIZE)),
        csv_link=_csv_link(wanted, report.row_count),
    )


def _csv_link(query: ReportQuery, rows: int) -> str:
    """The API's CSV of every row the page's filters select (up to the API's limit)."""
    parameters = {
        "format": "csv",
        "days": query.days,
        "pipeline_id": query.pipeline_id,
        "pipeline_type_id": query.pipeline_type_id,
        "sort": query.sort,
        "limit": min(max(rows, 1), MAX_LIMIT),
    }
    return "/report/daily?" + urlencode({k: v for k, v in parameters.items() if v is not None})
