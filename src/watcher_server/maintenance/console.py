"""`watcher cleanup`: the log cleanup from the command line, with a progress bar."""

import asyncio
import json
from datetime import datetime

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from watcher_server.clock import utcnow
from watcher_server.db import Database, migrate
from watcher_server.errors import WatcherError
from watcher_server.maintenance import service
from watcher_server.maintenance.retention import Retention
from watcher_server.maintenance.schemas import LogCleanupOut
from watcher_server.maintenance.service import Batch, CleanupReport
from watcher_server.settings import Settings


class CleanupFailed(Exception):
    """The cleanup could not run; the message says why."""


def run_cleanup(
    settings: Settings, retention: Retention, batch_size: int, *, dry_run: bool, as_json: bool
) -> None:
    """Run the cleanup against the configured database and print what it deleted."""
    current, head = migrate.current_revision(settings.database_url), migrate.head_revision()
    if current != head:
        raise CleanupFailed(
            f"the database is at revision {current or 'none'}, this Watcher needs {head}; "
            "run `watcher db upgrade` first"
        )
    try:
        report = asyncio.run(_clean(settings, utcnow(), retention, batch_size, dry_run))
    except WatcherError as exc:
        raise CleanupFailed(exc.message) from None
    if as_json:
        print(json.dumps(LogCleanupOut.from_report(report).model_dump(mode="json"), indent=2))
    else:
        print(_summary(report))


async def _clean(
    settings: Settings, now: datetime, retention: Retention, batch_size: int, dry_run: bool
) -> CleanupReport:
    db = Database(settings.database_url, pool_size=1, pgbouncer=settings.database_pgbouncer)
    try:
        # The same count as a dry run gives the progress bar its total.
        estimate = await service.clean_logs(db, now, retention, batch_size, dry_run=True)
        if dry_run:
            return estimate
        console = Console(stderr=True)
        with Progress(
            TextColumn("deleting"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("rows"),
            TimeElapsedColumn(),
            console=console,
            disable=not console.is_terminal,
        ) as progress:
            task = progress.add_task("cleanup", total=sum(estimate.rows.values()))

            def advance(batch: Batch) -> None:
                progress.advance(task, sum(batch.rows.values()))

            return await service.clean_logs(db, now, retention, batch_size, on_batch=advance)
    finally:
        await db.dispose()


def _summary(report: CleanupReport) -> str:
    total = sum(report.rows.values())
    width = max(len(table) for table in report.rows)
    kind_width = max(len(kind) for kind in report.cutoffs)
    lines = ["cutoffs:"]
    lines += [
        f"  {kind:<{kind_width}}  {cutoff.isoformat()} "
        f"({report.retention.days(kind)} days before now)"
        for kind, cutoff in report.cutoffs.items()
    ]
    if report.dry_run:
        lines.append(f"dry run: would delete {total:,} rows, deleted nothing")
    else:
        rate = total / report.seconds if report.seconds > 0 else 0.0
        lines.append(
            f"deleted {total:,} rows in {report.batches} batches, {report.seconds:.1f} s "
            f"({rate:,.0f} rows/s; slowest batch {report.slowest_batch_seconds * 1000:.0f} ms)"
        )
    lines += [f"  {table:<{width}}  {rows:>12,}" for table, rows in report.rows.items()]
    return "\n".join(lines)
