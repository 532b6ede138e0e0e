"""The daily report's running sums: one row per pipeline and UTC day of its runs' starts."""

from datetime import date

from sqlalchemy import BigInteger, Date, Float, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from watcher_server.db.types import BigId
from watcher_server.models.base import Base


class PipelineDailyTotals(Base):
    """The sums of a pipeline's ended runs that started on `day` (UTC).

    Kept in the transaction that ends a run and in the one that deletes runs, so the daily
    report reads at most one row per pipeline and day instead of every run.
    """

    __tablename__ = "pipeline_daily_totals"
    # The report reads a window of days for every pipeline, newest first (read backwards), or
    # for one pipeline (the primary key).
    __table_args__ = (Index("ix_pipeline_daily_totals_day_pipeline_id", "day", "pipeline_id"),)

    pipeline_id: Mapped[int] = mapped_column(BigId, ForeignKey("pipeline.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    runs: Mapped[int] = mapped_column(BigInteger)
    failed: Mapped[int] = mapped_column(BigInteger)
    inserts: Mapped[int] = mapped_column(BigInteger)
    updates: Mapped[int] = mapped_column(BigInteger)
    soft_deletes: Mapped[int] = mapped_column(BigInteger)
    total_rows: Mapped[int] = mapped_column(BigInteger)
    duration_seconds: Mapped[int] = mapped_column(BigInteger)
    # The runs' own throughputs (rows per second) summed, and how many runs had one.
    throughput_sum: Mapped[float] = mapped_column(Float)
    throughput_runs: Mapped[int] = mapped_column(BigInteger)
