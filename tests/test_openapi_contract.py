"""The OpenAPI document is the API's contract: schemathesis checks the app against it.

The engine behind `st run --checks all` drives the app in process, on a fresh database of the
kind under test: the coverage phase (boundary values, wrong types, undocumented methods),
fuzzing with positive and negative data, and the stateful phase, which chains operations
through the links it infers (the id a create answers, fed to the get). Seeded and
derandomized, so a run is reproducible; a failure names the request that shows it.
"""

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis.engine import Status, events, from_schema
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.python import asgi

from tests.conftest import fresh_database
from tests.factories import create_pipeline, start_run
from watcher_server.app import create_app
from watcher_server.common.schemas import MAX_BIGINT
from watcher_server.db import migrate
from watcher_server.settings import Settings

CONFIG = {
    "seed": 20261204,
    # "database": "none": no example database, so that no earlier run replays into this one.
    "generation": {"mode": "all", "max-examples": 6, "deterministic": True, "database": "none"},
    "checks": {"enabled": True},
    "phases": {"stateful": {"max-steps": 20}},
    "cache": {"enabled": False},
}
TESTED_PHASES = ("coverage", "fuzzing", "stateful")


@pytest.fixture
def own_settings(tmp_path: Path) -> Iterator[Settings]:
    """A database of its own, so that the run is the same whatever ran before it."""
    with fresh_database(tmp_path) as url:
        migrate.upgrade(url)
        yield Settings(_env_file=None, database_url=url, watcher_background_jobs=False)


def test_the_app_keeps_its_openapi_contract(own_settings: Settings) -> None:
    schema = schemathesis.openapi.from_asgi(
        "/openapi.json", create_app(own_settings), config=schemathesis.Config.from_dict(CONFIG)
    )
    schema.hook("filter_failure")(_keep_failure)
    try:
        outcome = _Outcome(from_schema(schema).execute())
    finally:
        asgi.shutdown_lifespans()  # the app's lifespan ran in schemathesis' event loop

    assert outcome.problems == [], "\n\n".join(outcome.problems)
    assert {phase: outcome.phases.get(phase) for phase in TESTED_PHASES} == dict.fromkeys(
        TESTED_PHASES, Status.SUCCESS
    )
    assert outcome.links > 0, "the stateful phase found no link between operations"


@pytest.mark.parametrize("method", ["PUT", "DELETE", "OPTIONS"])
async def test_a_405_allows_every_method_of_the_path(
    client: httpx.AsyncClient, method: str
) -> None:
    response = await client.request(method, "/pipeline")

    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST, PATCH"
    assert response.json()["code"] == "METHOD_NOT_ALLOWED"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/log_cleanup", {"retention_days": 90, "dry_run": 0}, "dry_run"),
        (
            "/pipeline",
            {"name": "x", "pipeline_type_name": "t", "load_lineage": "true"},
            "load_lineage",
        ),
        ("/end_pipeline_execution", {"id": 1, "inserts": "5"}, "inserts"),
        ("/timeliness", {"lookback_minutes": "60"}, "lookback_minutes"),
        ("/address_type", {"name": 5, "group_name": "database"}, "name"),
    ],
)
async def test_a_body_field_of_another_json_type_is_422(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], field: str
) -> None:
    response = await client.post(path, json=body)

    assert response.status_code == 422
    assert response.json()["message"].startswith(f"{field}:")


async def test_ids_the_sdk_forwards_may_be_text_and_integers_may_be_integral_floats(
    client: httpx.AsyncClient, unique: str
) -> None:
    pipeline_id = await create_pipeline(client, f"text ids {unique}")
    parent = await start_run(client, pipeline_id)

    started = await client.post(
        "/start_pipeline_execution",
        json={"pipeline_id": str(pipeline_id), "parent_execution_id": str(parent)},
    )
    child = started.json()["id"]
    ended = await client.post("/end_pipeline_execution", json={"id": str(child), "inserts": 5.0})
    patched = await client.patch(
        "/pipeline", json={"pipeline_id": str(pipeline_id), "next_watermark": "7"}
    )

    assert (started.status_code, ended.status_code, patched.status_code) == (201, 204, 200)
    run = (await client.get(f"/pipeline_execution/{child}")).json()
    assert (run["parent_id"], run["inserts"]) == (parent, 5)


async def test_a_name_too_long_once_lower_cased_is_422(client: httpx.AsyncClient) -> None:
    """ "İ" lower-cases to two characters: 150 of them made 300, which PostgreSQL refused (500)."""
    response = await client.post("/pipeline", json={"name": "İ" * 150, "pipeline_type_name": "t"})

    assert response.status_code == 422
    assert response.json()["message"].startswith("name:")


async def test_the_document_keeps_64_bit_bounds_exact(client: httpx.AsyncClient) -> None:
    """FastAPI's OpenAPI model holds bounds as floats, and float(2**63 - 1) is 2**63."""
    document = (await client.get("/openapi.json")).json()

    total_rows = document["components"]["schemas"]["ExecutionEnd"]["properties"]["total_rows"]
    assert total_rows["anyOf"][0]["maximum"] == MAX_BIGINT


def _keep_failure(_: Any, failure: Exception, __: Any, response: Any) -> bool:
    """All but one kind of failure count. A 422 whose `detail` is a sentence (not the list of
    schema errors) is a rule no JSON Schema can state, broken by data valid in shape: an
    address declared twice with different fields, a run ended with another pipeline's id."""
    if not isinstance(failure, RejectedPositiveData) or response.status_code != 422:
        return True
    return not isinstance(response.json().get("detail"), str)


class _Outcome:
    """What a run found: distinct failures and errors, each phase's status, links inferred."""

    def __init__(self, stream: Iterable[events.EngineEvent]) -> None:
        self.problems: list[str] = []
        self.phases: dict[str, Status] = {}
        self.links = 0
        seen: set[tuple[str, ...]] = set()
        for event in stream:
            if isinstance(event, events.ScenarioFinished):
                for key, text in _failures(event):
                    if key not in seen:
                        seen.add(key)
                        self.problems.append(text)
            elif isinstance(event, events.NonFatalError | events.FatalError):
                self.problems.append(f"schemathesis error: {event!r}")
            elif isinstance(event, events.PhaseStarted) and event.payload is not None:
                self.links = event.payload.inferred_transitions
            elif isinstance(event, events.PhaseFinished):
                self.phases[event.phase.name.value] = event.status


def _failures(event: events.ScenarioFinished) -> Iterator[tuple[tuple[str, ...], str]]:
    for checks in event.recorder.checks.values():
        for check in checks:
            if check.failure_info is not None:
                failure = check.failure_info.failure
                key = (event.recorder.label, check.name, failure.title)
                yield (
                    key,
                    (
                        f"{event.recorder.label} [{check.name}, {event.phase.value}] "
                        f"{failure.title}\n{failure.message}\n{check.failure_info.code_sample}"
                    ),
                )
