"""The daily report's query parameters and answer."""

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from fastapi import Query
from pydantic import BaseModel, Field

from watcher_server.common.schemas import Id

MAX_DAYS = 366


class ReportRow(BaseModel):
    """One pipeline's ended runs that started on one UTC day."""

    day: date
    pipeline_id: int
    pipeline_name: str
    pipeline_type_name: str
    runs: int
    failed: int
    error_rate: float = Field(description="failed / runs.")
    inserts: int
    updates: int
    soft_deletes: int
    total_rows: int
    average_duration_seconds: float
    throughput: float | None = Field(
        description="The mean of the runs' throughputs (rows per second); null when none had one."
    )


# Every column the rows can be sorted by; "-" before a name sorts descending.
ReportSort = StrEnum(  # type: ignore[misc]
    "ReportSort",
    [(name, name) for name in ReportRow.model_fields]
    + [(f"desc_{name}", f"-{name}") for name in ReportRow.model_fields],
)


class ReportTotals(BaseModel):
    """Every row of the report (not only the page) added up."""

    runs: int
    failed: int
    error_rate: float | None
    total_rows: int
    throughput: float | None = Field(description="The mean of the runs' throughputs.")


class DayTotals(BaseModel):
    """One UTC day of the report: every pipeline's runs that started on it, added up."""

    day: date
    runs: int
    failed: int
    error_rate: float = Field(description="failed / runs.")


class DailyReport(BaseModel):
    first_day: date
    last_day: date
    row_count: int = Field(description="Rows in the report; `rows` is one page of them.")
    limit: int
    offset: int
    totals: ReportTotals
    days: list[DayTotals] = Field(
        description="Each day with runs, oldest first, over every row (not only the page)."
    )
    rows: list[ReportRow]


class ReportQuery(BaseModel):
    """What the report covers and how its rows are ordered."""

    days: int
    pipeline_id: int | None
    pipeline_type_id: int | None
    sort: str


async def report_query(
    days: Annotated[
        int, Query(ge=1, le=MAX_DAYS, description="The last N UTC days, today included.")
    ] = 30,
    pipeline_id: Annotated[Id | None, Query(description="Only this pipeline.")] = None,
    pipeline_type_id: Annotated[
        Id | None, Query(description="Only pipelines of this type.")
    ] = None,
    sort: Annotated[
        ReportSort, Query(description="A column; `-` before it sorts descending.")
    ] = ReportSort("-day"),
) -> ReportQuery:
    """The dependency that reads them (shared by the API and the console's page)."""
    return ReportQuery(
        days=days, pipeline_id=pipeline_id, pipeline_type_id=pipeline_type_id, sort=sort.value
    )


ReportFormat = Literal["json", "csv"]
