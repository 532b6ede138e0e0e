"""Rules for starting and ending runs, and for reading them back."""

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from watcher_server.anomalies import repository as anomalies
from watcher_server.common.get_or_create import insert_or_find
from watcher_server.db import Database
from watcher_server.errors import Conflict, InvalidInput, NotFound
from watcher_server.executions import repository as repo
from watcher_server.executions.schemas import ExecutionEnd, ExecutionStart, ExecutionTreeOut
from watcher_server.observability.context import annotate
from watcher_server.observability.metrics import EXECUTIONS_ENDED, EXECUTIONS_STARTED
from watcher_server.pipelines import repository as pipelines_repo
from watcher_server.pipelines.service import config_digest

# The count that, when positive, moves each of the pipeline's last_target_* times forward.
DML_FLAGS = {"inserts": "inserted", "updates": "updated", "soft_deletes": "soft_deleted"}
_COUNTS = ("inserts", "updates", "soft_deletes", "total_rows")
# A start misses its key's run only when that run ends between the start's insert and its
# lookup. Even 16 callers cycling 4 identical bodies without pause missed at most 4 times in
# a row; more means the key is churning, and the caller should back off.
START_ATTEMPTS = 10
# The metadata key where a run that ended at its start keeps the earlier end time it was sent.
REPORTED_END_DATE = "reported_end_date"


def start_key(data: ExecutionStart, header_key: str | None) -> str | None:
    """The idempotency key of a start call.

    An explicit key (header or body) always identifies the run. Without one, a start that gives
    its own start_date is keyed by its whole body: a client retrying after a timeout or a 5xx
    resends the identical body, and must get the run it already created, not a second one.
    The automatic key is released when the run ends, so a later identical start is a new run.
    """
    for field, key in (("Idempotency-Key", header_key), ("idempotency_key", data.idempotency_key)):
        if key and key.startswith(repo.AUTO_KEY_PREFIX):
            # Such a key would be taken for an automatic one and released when its run ends.
            raise InvalidInput(f"keys starting with {repo.AUTO_KEY_PREFIX!r} are reserved", field)
    if header_key or data.idempotency_key:
        return header_key or data.idempotency_key
    if data.start_date is None:
        return None
    body = data.model_dump(mode="json", exclude={"idempotency_key"})
    return repo.AUTO_KEY_PREFIX + config_digest(body)


async def start_execution(
    db: Database, data: ExecutionStart, now: datetime, idempotency_key: str | None = None
) -> tuple[int, bool]:
    """Record a run as started; answers its id and whether an earlier identical call made it."""
    key = start_key(data, idempotency_key)
    values = {"pipeline_id": data.pipeline_id, **start_values(data, now), "idempotency_key": key}
    # One INSERT … SELECT is the whole unit of work (the reads after it only find the run
    # that refused it, or explain a refusal), so it needs no BEGIN/COMMIT around it.
    async with db.autocommit() as conn:

        async def insert() -> int | None:
            return await repo.insert_execution(conn, values, data.watermark, data.next_watermark)

        execution_id, inserted = await insert_or_find(
            insert,
            lambda: _replayed_run(conn, data, key),
            f"the run with this start's idempotency key in pipeline {data.pipeline_id}",
            attempts=START_ATTEMPTS,
        )
    note_start(data.pipeline_id, execution_id, inserted)
    return execution_id, not inserted


def start_values(data: ExecutionStart, now: datetime) -> dict[str, Any]:
    """The columns of a new run that its start gives (but its pipeline and key)."""
    start = data.start_date or now
    return {
        "parent_id": data.parent_id,
        "start_date": start,
        "date_recorded": start.date(),
        "hour_recorded": start.hour,
        "full_load": data.full_load,
        "execution_metadata": data.execution_metadata,
    }


def note_start(pipeline_id: int, execution_id: int, inserted: bool) -> None:
    """After a start, by `start_execution` or another statement (OpenLineage's START of a
    known job): the request's log fields, and the run counted when it is a new one."""
    if inserted:
        EXECUTIONS_STARTED.inc()
    annotate(pipeline_id=pipeline_id, execution_id=execution_id)


async def _replayed_run(conn: AsyncConnection, data: ExecutionStart, key: str | None) -> int | None:
    """The running run that holds the start's idempotency key (the start is a replay), or
    None when that run was gone by the time it was looked up: it ended, releasing an automatic
    key, or was cleaned up; either way the key is free again. A start refused for another
    reason says why."""
    # Looked up before anything else: the run holding the key may end at any moment, and a
    # found key implies its pipeline exists.
    if key is not None:
        replayed = await repo.find_by_idempotency_key(conn, data.pipeline_id, key)
        if replayed is not None:
            return replayed
    if not await pipelines_repo.pipeline_exists(conn, data.pipeline_id):
        raise NotFound(f"pipeline {data.pipeline_id} not found")
    if data.parent_id is not None and not await repo.execution_exists(conn, data.parent_id):
        raise NotFound(f"parent execution {data.parent_id} not found")
    return None


async def end_execution(
    db: Database,
    data: ExecutionEnd,
    now: datetime,
    tolerance: timedelta,
    loaded: bool = False,
) -> None:
    """Record a run's outcome; a success advances its pipeline's watermark in the same commit.

    Repeating the same end is harmless; a different outcome for an ended run is a conflict, so
    a watermark never advances twice. An end before the run's start by at most `tolerance`
    ends it at its start (see `_recorded_end`). `loaded` says a success loaded its targets
    whatever its counts (an OpenLineage run that wrote outputs): last_target_insert moves.
    """
    flags = _dml_flags(data, loaded)
    end = data.end_date or now
    # The usual case (a running run, ended by its pipeline) needs no read: a guarded update
    # writes it all or, when any rule is not met, nothing; the checked path then says why.
    outcome = {
        "added_metadata": data.execution_metadata,
        "completed_successfully": data.completed_successfully is not False,
        **{count: getattr(data, count) for count in _COUNTS},
        **flags,
        # For a run that started after `end` (PostgreSQL's statement only).
        "latest_start": _latest_start(end, tolerance),
        "early_end_metadata": _early_end_metadata(data, end),
    }
    annotate(pipeline_id=data.pipeline_id, execution_id=data.id)
    succeeded: bool | None = None
    if db.capabilities.writes_in_one_statement:
        async with db.autocommit() as conn:
            if await repo.end_running_execution(conn, data.id, data.pipeline_id, end, outcome, now):
                succeeded = outcome["completed_successfully"]
    elif data.execution_metadata is None:  # SQLite cannot merge metadata in SQL
        async with db.transaction() as conn:
            run = await repo.finish_running_execution(conn, data.id, data.pipeline_id, end, outcome)
            if run is not None:
                succeeded = run.completed_successfully
                if succeeded:
                    await _after_success(conn, run, flags, end, now)
    if succeeded is None:
        succeeded = await _end_checked(db, data, end, now, tolerance, flags)
    if succeeded is not None:
        EXECUTIONS_ENDED.labels("succeeded" if succeeded else "failed").inc()


async def _end_checked(
    db: Database,
    data: ExecutionEnd,
    end: datetime,
    now: datetime,
    tolerance: timedelta,
    flags: dict[str, bool],
) -> bool | None:
    """The end with every rule checked on the locked row, and a clear error when one fails;
    answers whether the run succeeded, or None when it had ended already (a repeated end)."""
    async with db.transaction() as conn:
        run = await repo.lock_execution(conn, data.id)
        if run is None:
            raise NotFound(f"pipeline execution {data.id} not found")
        if data.pipeline_id is not None and data.pipeline_id != run.pipeline_id:
            raise InvalidInput(
                f"execution {run.id} belongs to pipeline {run.pipeline_id}, not {data.pipeline_id}",
                "pipeline_id",
            )
        annotate(pipeline_id=run.pipeline_id)
        if run.end_date is not None:
            _check_same_end(run, data)
            return None
        recorded_end = _recorded_end(run, end, tolerance)
        succeeded = data.completed_successfully is not False
        outcome = _outcome(run, data, end, recorded_end, succeeded)
        await repo.finish_execution(conn, run.id, outcome)
        if succeeded:
            await _after_success(conn, run, flags, recorded_end, now)
    return succeeded


def _recorded_end(run: Row[Any], end: datetime, tolerance: timedelta) -> datetime:
    """When the run ended, as recorded: `end`, or its start_date when `end` is before it by at
    most `tolerance`. A run started without a start_date took the server's time, and a caller
    whose clock is behind reports an end before it: refusing that would leave the run running
    for ever, so it ends at its start and keeps the time sent as reported_end_date."""
    if end >= run.start_date:
        return end
    if run.start_date - end > tolerance:
        raise InvalidInput(
            f"{end.isoformat()} is before the execution's start_date "
            f"{run.start_date.isoformat()} by more than the {tolerance.total_seconds():g} "
            "seconds tolerated",
            "end_date",
        )
    return run.start_date


def _latest_start(end: datetime, tolerance: timedelta) -> datetime:
    """The latest start_date an end at `end` is accepted for (see `_recorded_end`)."""
    last = datetime.max.replace(tzinfo=UTC)
    return end + tolerance if last - end > tolerance else last


def _early_end_metadata(data: ExecutionEnd, end: datetime) -> dict[str, Any]:
    """What an end before its run's start merges into the run's metadata: the metadata sent,
    and the end time it reported."""
    return {**(data.execution_metadata or {}), REPORTED_END_DATE: _json_time(end)}


def _json_time(moment: datetime) -> str:
    """`moment` as the API writes times (ISO 8601, UTC as Z)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def _after_success(
    conn: AsyncConnection, run: Row[Any], flags: dict[str, bool], end: datetime, now: datetime
) -> None:
    """In a successful run's end transaction: advance its pipeline and ask for anomaly
    detection (which runs later, in the job, but is asked for in this commit: never lost)."""
    if await repo.advance_pipeline(conn, run.pipeline_id, run.next_watermark, end, flags):
        await anomalies.queue_detection(conn, run.id, run.pipeline_id, now)


def _dml_flags(data: ExecutionEnd, loaded: bool = False) -> dict[str, bool]:
    """Which last_target_* times a successful run moves forward: those with a positive count,
    and last_target_insert when the run is said to have `loaded` its targets."""
    flags = {flag: bool(getattr(data, count)) for count, flag in DML_FLAGS.items()}
    flags["inserted"] = flags["inserted"] or loaded
    return flags


def _outcome(
    run: Row[Any], data: ExecutionEnd, end: datetime, recorded_end: datetime, succeeded: bool
) -> dict[str, Any]:
    elapsed = recorded_end - run.start_date
    seconds = elapsed.total_seconds()
    values: dict[str, Any] = {
        "end_date": recorded_end,
        "completed_successfully": succeeded,
        # Half a second rounds up, as the database's round() does on the one-statement path.
        "duration_seconds": (elapsed + timedelta(milliseconds=500)) // timedelta(seconds=1),
        # Rows per second of wall time; undefined for an instantaneous run.
        "throughput": data.total_rows / seconds
        if data.total_rows is not None and seconds > 0
        else None,
    }
    values.update({count: getattr(data, count) for count in _COUNTS})
    if run.idempotency_key and run.idempotency_key.startswith(repo.AUTO_KEY_PREFIX):
        values["idempotency_key"] = None
    added = data.execution_metadata if recorded_end == end else _early_end_metadata(data, end)
    if added is not None:
        values["execution_metadata"] = {**(run.execution_metadata or {}), **added}
    return values


def _check_same_end(run: Row[Any], data: ExecutionEnd) -> None:
    """Accept a repeated end call (a client retry) only when it reports the same outcome."""
    differences = [
        count
        for count in _COUNTS
        if getattr(data, count) is not None and getattr(data, count) != getattr(run, count)
    ]
    if (data.completed_successfully is not False) != run.completed_successfully:
        differences.append("completed_successfully")
    if data.end_date is not None and not _ended_at(run, data.end_date):
        differences.append("end_date")
    if differences:
        raise Conflict(
            f"pipeline execution {run.id} has already ended; this call differs in "
            + ", ".join(differences)
        )


def _ended_at(run: Row[Any], end: datetime) -> bool:
    """Whether an ended run recorded `end` as its end: its end_date or, when it ended at its
    start, the time an early end reported (see `_recorded_end`)."""
    if end == run.end_date:
        return True
    reported = (run.execution_metadata or {}).get(REPORTED_END_DATE)
    return run.end_date == run.start_date and reported == _json_time(end)


async def get_execution(db: Database, execution_id: int) -> ExecutionTreeOut:
    """A run with the runs nested under it, at every depth."""
    async with db.transaction() as conn:
        rows = await repo.get_execution_tree(conn, execution_id)
    if not rows:
        raise NotFound(f"pipeline execution {execution_id} not found")
    nodes = {row.id: ExecutionTreeOut.model_validate(row) for row in rows}
    for node in nodes.values():
        if node.id != execution_id and node.parent_id in nodes:
            nodes[node.parent_id].child_executions.append(node)
    return nodes[execution_id]


async def list_executions(
    db: Database, pipeline_id: int | None, limit: int, offset: int
) -> list[Row[Any]]:
    async with db.transaction() as conn:
        if pipeline_id is not None and not await pipelines_repo.pipeline_exists(conn, pipeline_id):
            raise NotFound(f"pipeline {pipeline_id} not found")
        return await repo.list_executions(conn, pipeline_id, limit, offset)
