"""Every SQL statement of anomaly detection: rules, baselines, results, pending detections."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Float,
    Insert,
    Integer,
    Row,
    Select,
    and_,
    bindparam,
    case,
    cast,
    delete,
    exists,
    false,
    func,
    insert,
    literal,
    literal_column,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from watcher_server.anomalies.statistics import Baseline
from watcher_server.anomalies.windows import BaselineWindow
from watcher_server.db import bulk
from watcher_server.db.dialects import capabilities
from watcher_server.db.types import UTCDateTime
from watcher_server.db.upsert import insert_if_absent, insert_many_if_absent
from watcher_server.models import (
    AnomalyDetectionPending,
    AnomalyDetectionResult,
    AnomalyDetectionRule,
    AnomalyMetric,
    Pipeline,
    PipelineExecution,
    Seasonality,
)

rules = AnomalyDetectionRule.__table__
results = AnomalyDetectionResult.__table__
pending = AnomalyDetectionPending.__table__
executions = PipelineExecution.__table__
pipelines = Pipeline.__table__
# The metrics in the order the baseline statements select them.
METRICS = tuple(AnomalyMetric)


# --- the end call's one extra statement --------------------------------------------------------


def queue_detection_insert(
    execution_id: ColumnElement[Any],
    pipeline_id: ColumnElement[Any],
    queued_at: ColumnElement[datetime],
    *conditions: ColumnElement[bool],
) -> Insert:
    """INSERT … SELECT … WHERE EXISTS: a row only for pipelines with an active rule, decided in
    the same statement, so pipelines without rules pay one index probe and no write."""
    return insert(pending).from_select(
        ["pipeline_execution_id", "next_attempt_at", "attempts", "created_at"],
        select(execution_id, queued_at, literal(0), queued_at).where(
            *conditions, has_active_rule(pipeline_id)
        ),
    )


def has_active_rule(pipeline_id: ColumnElement[Any]) -> ColumnElement[bool]:
    """Whether the pipeline has an active rule: whether its successful runs are tested."""
    return exists().where(rules.c.pipeline_id == pipeline_id, rules.c.active == true())


_QUEUE_DETECTION = queue_detection_insert(
    bindparam("queued_execution_id", type_=executions.c.id.type),
    bindparam("queued_pipeline_id", type_=rules.c.pipeline_id.type),
    bindparam("queued_at", type_=UTCDateTime()),
)


async def queue_detection(
    conn: AsyncConnection, execution_id: int, pipeline_id: int, now: datetime
) -> None:
    """Ask for detection on a successful run, if its pipeline has an active rule."""
    await conn.execute(
        _QUEUE_DETECTION,
        {"queued_execution_id": execution_id, "queued_pipeline_id": pipeline_id, "queued_at": now},
    )


async def queued_detections(conn: AsyncConnection) -> int:
    """How many successful runs wait for the detection job."""
    return (await conn.execute(select(func.count()).select_from(pending))).scalar_one()


# --- rules ---------------------------------------------------------------------------------


async def insert_rule_if_absent(conn: AsyncConnection, values: dict[str, Any]) -> int | None:
    return await insert_if_absent(conn, rules, values, ["pipeline_id", "metric_field"])


async def insert_rules_if_absent(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    await insert_many_if_absent(conn, rules, rows, ["pipeline_id", "metric_field"])


async def find_rule_id(
    conn: AsyncConnection, pipeline_id: int, metric: AnomalyMetric
) -> int | None:
    statement = select(rules.c.id).where(
        rules.c.pipeline_id == pipeline_id, rules.c.metric_field == metric
    )
    return (await conn.execute(statement)).scalar_one_or_none()


async def get_rule(conn: AsyncConnection, rule_id: int) -> Row[Any] | None:
    return (await conn.execute(select(rules).where(rules.c.id == rule_id))).first()


async def list_rules(
    conn: AsyncConnection, pipeline_id: int | None, limit: int, offset: int
) -> list[Row[Any]]:
    statement = select(rules)
    if pipeline_id is not None:
        statement = statement.where(rules.c.pipeline_id == pipeline_id)
    return list(await conn.execute(statement.order_by(rules.c.id).limit(limit).offset(offset)))


async def update_rule(conn: AsyncConnection, rule_id: int, values: dict[str, Any]) -> Row[Any]:
    statement = update(rules).where(rules.c.id == rule_id).values(**values).returning(*rules.c)
    return (await conn.execute(statement)).one()


# What detection reads of a rule (a batch reads hundreds: no timestamps to convert).
_RULE_SETTINGS = [
    rules.c[name]
    for name in (
        "id",
        "pipeline_id",
        "metric_field",
        "z_threshold",
        "lookback_days",
        "minimum_executions",
        "seasonality",
    )
]


@lru_cache(maxsize=2)
def _active_rules_statement(dialect: str) -> Select:
    return (
        select(*_RULE_SETTINGS)
        .where(
            bulk.is_one_of(dialect, rules.c.pipeline_id, "pipeline_ids"),
            rules.c.active == true(),
        )
        .order_by(rules.c.id)
    )


async def active_rules(conn: AsyncConnection, pipeline_ids: Sequence[int]) -> list[Row[Any]]:
    """The settings of the active rules of these pipelines (at most one chunk of
    `bulk.key_chunks`), by id."""
    statement = _active_rules_statement(conn.dialect.name)
    return list(await conn.execute(statement, {"pipeline_ids": list(pipeline_ids)}))


# --- the tested execution and its baseline ----------------------------------------------------


@lru_cache(maxsize=2)
def _tested_statement(dialect: str) -> Select:
    # What judging needs, not the whole row: no metadata document to decode per run.
    tested = (
        executions.c.id,
        executions.c.pipeline_id,
        executions.c.start_date,
        executions.c.completed_successfully,
        executions.c.anomaly_flags,
        *(executions.c[metric.value] for metric in METRICS),
    )
    return (
        select(*tested, pipelines.c.name.label("pipeline_name"))
        .join(pipelines, pipelines.c.id == executions.c.pipeline_id)
        .where(bulk.is_one_of(dialect, executions.c.id, "tested_ids"))
        .order_by(executions.c.id)
        .with_for_update(of=executions)
    )


async def lock_tested_executions(
    conn: AsyncConnection, execution_ids: Sequence[int]
) -> list[Row[Any]]:
    """The executions (at most one chunk of `bulk.key_chunks`) with their pipeline's name,
    locked (in id order) so that their flags change one writer at a time (detection,
    unflag)."""
    if not execution_ids:
        return []
    statement = _tested_statement(conn.dialect.name)
    return list(await conn.execute(statement, {"tested_ids": list(execution_ids)}))


async def lock_tested_execution(conn: AsyncConnection, execution_id: int) -> Row[Any] | None:
    [row] = await lock_tested_executions(conn, [execution_id]) or [None]
    return row


async def latest_successful_execution(conn: AsyncConnection, pipeline_id: int) -> int | None:
    statement = (
        select(executions.c.id)
        .where(executions.c.pipeline_id == pipeline_id, executions.c.completed_successfully)
        .order_by(executions.c.start_date.desc(), executions.c.id.desc())
        .limit(1)
    )
    return (await conn.execute(statement)).scalar_one_or_none()


def _flagged(metric: AnomalyMetric) -> Any:
    return func.coalesce(executions.c.anomaly_flags[metric.value].as_boolean(), false())


@dataclass(frozen=True)
class BaselineRequest:
    """The baseline of the run `tested_id` of `pipeline_id`, over `window`."""

    pipeline_id: int
    tested_id: int
    window: BaselineWindow


def _baseline_rows(
    seasonality: Seasonality,
    parameter: Callable[[str, Any], Any],
    outer: Any = None,
    suffix: str = "",
) -> Any:
    """The rows of one run's baseline, a column per metric: the most recent successful runs
    of the pipeline in the window and bucket, walked backwards on
    ix_pipeline_execution_pipeline_id_start_date and capped, so the cost does not grow with
    the history. A run flagged for a metric is left out of that metric (NULL).

    `parameter(name, type)` gives the run's values: bind parameters, or the columns of the
    FROM item `outer` (a request row, under LATERAL); `suffix` ends the subquery's name. The
    statements aggregate it with `_in_two_passes` or `_in_one_pass`: count, mean, range and
    the sum of squared deviations from the mean of each metric, in METRICS order.
    """
    conditions = [
        executions.c.pipeline_id == parameter("pipeline_id", executions.c.pipeline_id.type),
        executions.c.start_date >= parameter("since", UTCDateTime()),
        executions.c.start_date <= parameter("until", UTCDateTime()),
        executions.c.id != parameter("tested_id", executions.c.id.type),
        executions.c.completed_successfully == true(),
    ]
    if seasonality is Seasonality.HOUR_OF_DAY:
        conditions.append(executions.c.hour_recorded == parameter("hour", Integer()))
    elif seasonality is Seasonality.DAY_OF_WEEK:
        conditions.append(executions.c.date_recorded.in_(parameter("dates", None)))
    return (
        select(
            *(
                case((_flagged(m), None), else_=cast(executions.c[m.value], Float)).label(m.value)
                for m in METRICS
            )
        )
        .where(and_(*conditions))
        .order_by(executions.c.start_date.desc())
        .limit(parameter("cap", Integer()))
        .correlate(outer)
        .subquery(f"baseline_rows{suffix}")
    )


def _in_two_passes(rows: Any, suffix: str = "") -> Select:
    """A window function computes each mean over the rows first, then the squared deviations
    from it are summed: no sum-of-squares cancellation, on SQLite too (no variance
    aggregate there)."""
    with_means = select(
        *(rows.c[m.value] for m in METRICS),
        *(func.avg(rows.c[m.value]).over().label(f"mean_{m.value}") for m in METRICS),
    ).subquery(f"baseline{suffix}")

    def deviation(m: AnomalyMetric) -> Any:
        value, mean = with_means.c[m.value], with_means.c[f"mean_{m.value}"]
        return func.sum((value - mean) * (value - mean))

    return select(
        *(func.count(with_means.c[m.value]).label(f"n_{m.value}") for m in METRICS),
        *(func.max(with_means.c[f"mean_{m.value}"]).label(f"mean_{m.value}") for m in METRICS),
        *(func.min(with_means.c[m.value]).label(f"min_{m.value}") for m in METRICS),
        *(func.max(with_means.c[m.value]).label(f"max_{m.value}") for m in METRICS),
        *(deviation(m).label(f"ss_{m.value}") for m in METRICS),
    )


def _in_one_pass(rows: Any) -> Select:
    """PostgreSQL: `var_samp` is as stable (Youngs-Cramer) and reads the rows once, at less
    than half the cost of the window's materialised pass."""

    def squares(m: AnomalyMetric) -> Any:
        value = rows.c[m.value]
        return func.var_samp(value) * (func.count(value) - 1)

    return select(
        *(func.count(rows.c[m.value]).label(f"n_{m.value}") for m in METRICS),
        *(func.avg(rows.c[m.value]).label(f"mean_{m.value}") for m in METRICS),
        *(func.min(rows.c[m.value]).label(f"min_{m.value}") for m in METRICS),
        *(func.max(rows.c[m.value]).label(f"max_{m.value}") for m in METRICS),
        *(squares(m).label(f"ss_{m.value}") for m in METRICS),
    )


def _slot_statement(seasonality: Seasonality, slot: int) -> Select:
    """One run's baseline with its bind parameters suffixed by `slot`, so that slots can
    share one statement; the slot number is the first column."""

    def parameter(name: str, type_: Any) -> Any:
        if name == "dates":
            return bindparam(f"dates_{slot}", expanding=True, type_=executions.c.date_recorded.type)
        return bindparam(f"{name}_{slot}", type_=type_)

    suffix = f"_{slot}"
    baseline = _in_two_passes(_baseline_rows(seasonality, parameter, suffix=suffix), suffix)
    slot_column = literal_column(str(slot)).label("slot")
    return baseline.with_only_columns(slot_column, *baseline.selected_columns)


@lru_cache(maxsize=16)
def _baselines_statement(size: int, seasonality: Seasonality) -> Any:
    """The baselines of `size` runs in one statement (one round trip for them all)."""
    slots = [_slot_statement(seasonality, slot) for slot in range(size)]
    return slots[0] if size == 1 else union_all(*slots)


# The columns of a request row, as arrays (`_lateral_baselines_statement`).
_REQUEST_COLUMNS = (
    ("slot", Integer()),
    ("pipeline_id", executions.c.pipeline_id.type),
    ("tested_id", executions.c.id.type),
    ("since", UTCDateTime()),
    ("until", UTCDateTime()),
    ("hour", Integer()),
)


@lru_cache(maxsize=4)
def _lateral_baselines_statement(seasonality: Seasonality) -> Select:
    """The baselines of any number of runs in one statement: the runs' parameters as arrays,
    one row each, and the baseline query under LATERAL for each (one plan however many)."""
    request = bulk.array_rows("request", _REQUEST_COLUMNS)

    def parameter(name: str, type_: Any) -> Any:
        return bindparam("cap", type_=type_) if name == "cap" else request.c[name]

    rows = _baseline_rows(seasonality, parameter, outer=request)
    baseline = _in_one_pass(rows).lateral("request_baseline")
    return select(request.c.slot, *baseline.c).select_from(request.join(baseline, true()))


# A batch's baselines are read in statements of these many runs where LATERAL is missing (and
# for day-of-week buckets, whose lists of dates do not fit an array of scalars): a few
# statement shapes, each compiled once, and a few round trips per batch.
CHUNK_SIZES = (16, 4, 1)


def _chunks(requests: Sequence[BaselineRequest]) -> list[list[BaselineRequest]]:
    """Requests of one seasonality together, in chunks of the sizes in CHUNK_SIZES."""
    chunks = []
    for seasonality in Seasonality:
        same = [request for request in requests if request.window.seasonality is seasonality]
        for size in CHUNK_SIZES:
            while len(same) >= size:
                chunks.append(same[:size])
                same = same[size:]
    return chunks


async def baselines(
    conn: AsyncConnection, requests: Sequence[BaselineRequest], cap: int
) -> list[dict[AnomalyMetric, Baseline]]:
    """Size, mean, sum of squared deviations and range of each metric's baseline, for each
    request (in order)."""
    found: dict[int, dict[AnomalyMetric, Baseline]] = {}  # by id(request): no hashing
    lateral = capabilities(conn).lateral
    for chunk in _chunks_or_lateral(requests, lateral):
        seasonality = chunk[0].window.seasonality
        if lateral and seasonality is not Seasonality.DAY_OF_WEEK:
            statement = _lateral_baselines_statement(seasonality)
            parameters = _request_arrays(chunk, cap)
        else:
            statement = _baselines_statement(len(chunk), seasonality)
            parameters = _chunk_parameters(chunk, cap)
        for row in await conn.execute(statement, parameters):
            found[id(chunk[row[0]])] = _baselines_of_row(row)
    return [found[id(request)] for request in requests]


def _chunks_or_lateral(
    requests: Sequence[BaselineRequest], lateral: bool
) -> list[list[BaselineRequest]]:
    """With LATERAL, the requests of each seasonality but day-of-week in one statement."""
    if not lateral:
        return _chunks(requests)
    together = [
        [request for request in requests if request.window.seasonality is seasonality]
        for seasonality in (Seasonality.NONE, Seasonality.HOUR_OF_DAY)
    ]
    day_of_week = [r for r in requests if r.window.seasonality is Seasonality.DAY_OF_WEEK]
    return [chunk for chunk in together if chunk] + _chunks(day_of_week)


def _request_arrays(chunk: Sequence[BaselineRequest], cap: int) -> dict[str, Any]:
    return {
        "slot": list(range(len(chunk))),
        "pipeline_id": [request.pipeline_id for request in chunk],
        "tested_id": [request.tested_id for request in chunk],
        "since": [request.window.since for request in chunk],
        "until": [request.window.until for request in chunk],
        "hour": [request.window.hour for request in chunk],
        "cap": cap,
    }


def _chunk_parameters(chunk: Sequence[BaselineRequest], cap: int) -> dict[str, Any]:
    parameters: dict[str, Any] = {}
    for slot, request in enumerate(chunk):
        window = request.window
        parameters.update(
            {
                f"pipeline_id_{slot}": request.pipeline_id,
                f"tested_id_{slot}": request.tested_id,
                f"since_{slot}": window.since,
                f"until_{slot}": window.until,
                f"cap_{slot}": cap,
            }
        )
        if window.seasonality is Seasonality.HOUR_OF_DAY:
            parameters[f"hour_{slot}"] = window.hour
        elif window.seasonality is Seasonality.DAY_OF_WEEK:
            parameters[f"dates_{slot}"] = list(window.dates)
    return parameters


def _baselines_of_row(row: Sequence[Any]) -> dict[AnomalyMetric, Baseline]:
    """A row of the baselines statement (the slot, then count, mean, min, max and sum of
    squared deviations, each for every metric in METRICS order) as a Baseline per metric."""
    size = len(METRICS)
    found = {}
    for index, metric in enumerate(METRICS):
        count, mean, minimum, maximum, squares = row[1 + index :: size]
        found[metric] = Baseline(
            size=int(count or 0),
            mean=0.0 if mean is None else float(mean),
            squared_deviations=0.0 if squares is None else float(squares),
            minimum=None if minimum is None else float(minimum),
            maximum=None if maximum is None else float(maximum),
        )
    return found


# --- findings and flags -----------------------------------------------------------------------


async def insert_results(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Store findings (none: no statement); a finding already stored is kept as it was."""
    await insert_many_if_absent(conn, results, rows, ["pipeline_execution_id", "rule_id"])


_SET_FLAGS = (
    update(executions)
    .where(executions.c.id == bindparam("flagged_id", type_=executions.c.id.type))
    .values(anomaly_flags=bindparam("flags", type_=executions.c.anomaly_flags.type))
)


async def set_flags(conn: AsyncConnection, flags: dict[int, dict[str, bool]]) -> None:
    """Replace the anomaly_flags of each execution in `flags` (one batched statement)."""
    if flags:
        rows = [{"flagged_id": key, "flags": value} for key, value in flags.items()]
        await conn.execute(_SET_FLAGS, rows)


async def delete_results(
    conn: AsyncConnection, execution_id: int, metrics: Sequence[AnomalyMetric]
) -> int:
    statement = delete(results).where(
        results.c.pipeline_execution_id == execution_id, results.c.metric_field.in_(metrics)
    )
    return (await conn.execute(statement)).rowcount


async def list_results(
    conn: AsyncConnection,
    pipeline_id: int | None,
    execution_id: int | None,
    limit: int,
    offset: int,
) -> list[Row[Any]]:
    statement = select(results)
    if pipeline_id is not None:
        statement = statement.where(results.c.pipeline_id == pipeline_id)
    if execution_id is not None:
        statement = statement.where(results.c.pipeline_execution_id == execution_id)
    statement = statement.order_by(
        results.c.detected_at.desc(), results.c.pipeline_execution_id.desc(), results.c.rule_id
    )
    return list(await conn.execute(statement.limit(limit).offset(offset)))


# --- pending detections -----------------------------------------------------------------------


def _due(limit: Any, now: Any) -> Select:
    """Up to `limit` queued executions due at `now`, oldest first, locked until the
    transaction ends; rows another process holds are skipped (on SQLite, BEGIN IMMEDIATE
    already serialises)."""
    return (
        select(pending.c.pipeline_execution_id)
        .where(pending.c.next_attempt_at <= now)
        .order_by(pending.c.next_attempt_at, pending.c.pipeline_execution_id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


async def claim_pending(conn: AsyncConnection, now: datetime, limit: int) -> list[int]:
    """Up to `limit` executions due for detection, locked until the transaction ends."""
    return list((await conn.execute(_due(limit, now))).scalars())


_TAKE_DUE = (
    delete(pending)
    .where(
        pending.c.pipeline_execution_id.in_(
            _due(bindparam("limit", type_=Integer()), bindparam("now", type_=UTCDateTime()))
        )
    )
    .returning(pending.c.pipeline_execution_id)
)


async def take_pending(conn: AsyncConnection, now: datetime, limit: int) -> list[int]:
    """Claim and dequeue up to `limit` executions due for detection, in one statement: their
    rows come back if the transaction rolls back."""
    taken = (await conn.execute(_TAKE_DUE, {"limit": limit, "now": now})).scalars()
    return sorted(taken)


async def delete_pending(conn: AsyncConnection, execution_ids: Sequence[int]) -> None:
    if execution_ids:
        await conn.execute(
            delete(pending).where(pending.c.pipeline_execution_id.in_(execution_ids))
        )


async def lock_pending(conn: AsyncConnection, execution_id: int) -> Row[Any] | None:
    statement = (
        select(pending)
        .where(pending.c.pipeline_execution_id == execution_id)
        .with_for_update(skip_locked=True)
    )
    return (await conn.execute(statement)).first()


async def record_pending_failure(
    conn: AsyncConnection, execution_id: int, error: str, retry_at: datetime
) -> None:
    await conn.execute(
        update(pending)
        .where(pending.c.pipeline_execution_id == execution_id)
        .values(attempts=pending.c.attempts + 1, last_error=error, next_attempt_at=retry_at)
    )


async def count_pending(conn: AsyncConnection) -> int:
    """Successful runs still waiting for detection (the queue's depth)."""
    return (await conn.execute(select(func.count()).select_from(pending))).scalar_one()
