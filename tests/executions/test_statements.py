"""The hot path's cost in statements: every run pays it twice, so a regression (a fast path that
silently falls back, an extra read) is a test failure, not a benchmark surprise."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from tests.factories import create_pipeline, end_run, start_run
from tests.observability.conftest import scrape, value
from tests.openlineage.events import dataset, get_run, new_run_id, run_event, send
from tests.races import listening
from watcher_server.db.sqlite import STATEMENTS_COMMIT_ALONE


@contextmanager
def statements(database: Any) -> Iterator[list[str]]:
    """The SQL sent to the database inside the block (BEGIN and COMMIT included)."""
    sent: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(statement.split()[0].upper())

    def begin(conn: Any) -> None:
        # SQLAlchemy "begins" autocommit connections too; the driver then sends nothing.
        options = conn.get_execution_options()
        if options.get("isolation_level") != "AUTOCOMMIT" and not options.get(
            STATEMENTS_COMMIT_ALONE
        ):
            sent.append("BEGIN")

    def commit(conn: Any) -> None:
        sent.append("COMMIT")

    engine = database.engine.sync_engine
    with listening(engine, before_cursor_execute=record, begin=begin, commit=commit):
        yield sent


async def test_start_and_end_of_a_run_cost_the_fewest_statements(
    own_app: tuple[httpx.AsyncClient, Any], unique: str
) -> None:
    client, database = own_app
    pipeline_id = await create_pipeline(client, f"cheap {unique}", next_watermark="5")
    with statements(database) as start:
        run = await start_run(client, pipeline_id)
    with statements(database) as end:
        assert (await end_run(client, run, inserts=3, total_rows=3)).status_code == 204

    if database.capabilities.writes_in_one_statement:
        assert (start, end) == (["INSERT"], ["WITH"])
    else:  # the insert commits alone; the end is one transaction of the writes
        assert start == ["INSERT"]
        # The run, its day's totals (the daily report), its pipeline; the detection request
        # only for pipelines with an active rule: none here.
        assert end == ["BEGIN", "UPDATE", "INSERT", "UPDATE", "COMMIT"]


async def test_an_end_a_little_before_its_start_costs_one_statement_on_postgresql(
    own_app: tuple[httpx.AsyncClient, Any], unique: str
) -> None:
    """A caller whose clock is behind ends every short run "before" it started."""
    client, database = own_app
    pipeline_id = await create_pipeline(client, f"skewed {unique}", next_watermark="5")
    run = await start_run(client, pipeline_id, start_date="2026-03-01T08:30:00Z")
    with statements(database) as end:
        ended = await end_run(client, run, end_date="2026-03-01T08:29:59Z", inserts=3)
        assert ended.status_code == 204

    if database.capabilities.writes_in_one_statement:
        assert end == ["WITH"]
    else:  # the time it reported goes to metadata, which SQLite merges on the checked path
        checked = ["BEGIN", "SELECT", "UPDATE", "INSERT", "UPDATE", "COMMIT"]
        assert end == ["BEGIN", "UPDATE", "COMMIT", *checked]


async def test_an_openlineage_start_of_a_job_seen_before_is_one_statement_on_postgresql(
    own_app: tuple[httpx.AsyncClient, Any], unique: str
) -> None:
    """Its read (the pipeline, the run by its runId, the datasets) inserts the run as well."""
    client, database = own_app
    job = f"Statements_{unique}"
    datasets = {
        "inputs": [dataset(f"db.raw.in_{unique}")],
        "outputs": [dataset(f"db.mart.out_{unique}")],
    }
    first = new_run_id()
    await send(client, run_event("START", first, job, **datasets))
    await send(client, run_event("COMPLETE", first, job, **datasets))
    before = await scrape(client)

    run_id = new_run_id()
    with statements(database) as start:
        started = await send(client, run_event("START", run_id, job, **datasets))
    with statements(database) as repeated:
        again = await send(client, run_event("START", run_id, job, **datasets))
    with statements(database) as complete:
        completed = await send(client, run_event("COMPLETE", run_id, job, **datasets))

    if database.capabilities.writes_in_one_statement:
        # A repeated START runs the same statement, whose insert then finds the run's key.
        assert (start, repeated, complete) == (["WITH"], ["WITH"], ["SELECT", "WITH"])
    else:  # the read, then the insert (a repeat only reads)
        assert (start, repeated) == (["SELECT", "INSERT"], ["SELECT"])
    assert again["execution_id"] == completed["execution_id"] == started["execution_id"]
    run = await get_run(client, started["execution_id"])
    assert (run["status"], run["execution_metadata"]["openlineage"]["runId"]) == (
        "succeeded",
        run_id,
    )
    after = await scrape(client)
    started_total = "watcher_pipeline_executions_started_total"
    assert value(after, started_total) - value(before, started_total) == 1
