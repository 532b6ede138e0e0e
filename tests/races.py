"""Forcing a race: another client's writes committed between two statements of one request."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, event
from sqlalchemy.util import await_only

from tests.conftest import app_client
from watcher_server.settings import Settings

Step = Callable[[], Awaitable[Any]]


async def assert_one_created(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], calls: int = 20
) -> int:
    """`calls` identical get-or-create POSTs at once: one 201, the others 200, all answering
    the same id (which this returns)."""
    responses = await asyncio.gather(*(client.post(path, json=body) for _ in range(calls)))
    assert sorted(response.status_code for response in responses) == [200] * (calls - 1) + [201]
    [row_id] = {response.json()["id"] for response in responses}
    return row_id


@contextmanager
def listening(engine: Engine, **listeners: Callable[..., None]) -> Iterator[None]:
    """Within the block, `engine` calls each listener on the event it is named after."""
    for name, listener in listeners.items():
        event.listen(engine, name, listener)
    try:
        yield
    finally:
        for name, listener in listeners.items():
            event.remove(engine, name, listener)


@asynccontextmanager
async def interleaved(
    settings: Settings, table: str, before: list[Step], after: list[Step]
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app of its own; around each INSERT into `table` that app sends, the next
    step of `before` runs just before it and the next of `after` just after it, before the
    statement that follows.

    The steps go through another app (the shared `client`), so their writes commit between two
    statements of the request under test: an interleaving that load produces only now and
    then. PostgreSQL only: on SQLite a transaction holds the one write lock from its first
    statement, so nothing can commit in between (a step would wait for the request it interrupts).
    """
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer: nothing commits between two statements of a request")
    insert = f"INSERT INTO {table} ".upper()

    def step(steps: list[Step], statement: str) -> None:
        if steps and statement.lstrip().upper().startswith(insert):
            await_only(steps.pop(0)())

    def before_insert(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        step(before, statement)

    def after_insert(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        step(after, statement)

    async with app_client(settings) as http:
        engine = http._transport.app.state.database.engine.sync_engine  # type: ignore[attr-defined]
        with listening(
            engine, before_cursor_execute=before_insert, after_cursor_execute=after_insert
        ):
            yield http


async def post_while_taken_and_freed(
    client: httpx.AsyncClient,
    settings: Settings,
    table: str,
    path: str,
    body: dict[str, Any],
    *,
    take: Callable[[], Awaitable[int]] | None = None,
    free: Callable[[int], Awaitable[httpx.Response]] | None = None,
    laps: int = 1,
) -> tuple[httpx.Response, list[int]]:
    """POST `body` to `path` (a get-or-create) while, `laps` times, another call `take`s its
    key just before the request's INSERT into `table` and `free`s it just after: the insert
    yields to a row its lookup then cannot find.

    By default `client` takes the key with the same POST and frees it by renaming (a PATCH of
    `path`) the row it got. Answers the response and the ids of the rows taken.
    """
    taken: list[int] = []

    async def take_key() -> None:
        if take is not None:
            taken.append(await take())
            return
        response = await client.post(path, json=body)
        assert response.status_code in (200, 201), response.text
        taken.append(response.json()["id"])

    async def free_key() -> None:
        row_id = taken[-1]
        if free is not None:
            response = await free(row_id)
        else:
            response = await client.patch(path, json={"id": row_id, "name": f"renamed {row_id}"})
        assert response.status_code == 200, response.text

    async with interleaved(settings, table, [take_key] * laps, [free_key] * laps) as racer:
        return await racer.post(path, json=body), taken


async def assert_created_after_a_rename(
    client: httpx.AsyncClient, settings: Settings, table: str, path: str, body: dict[str, Any]
) -> None:
    """POST `body` to `path` while another call creates the same row just before the insert
    and renames it just after: the call answers 201 with a new row holding the name."""
    response, taken = await post_while_taken_and_freed(client, settings, table, path, body)

    assert response.status_code == 201, response.text
    assert response.json()["id"] != taken[0]
    stored = await client.get(f"{path}/{response.json()['id']}")
    assert stored.json()["name"] == body["name"]
