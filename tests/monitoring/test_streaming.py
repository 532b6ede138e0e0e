"""The checks judge their candidates a few rows at a time, so other requests keep being served.

The checks run in the API's event loop; a page of rows judged in one go would hold up every
request that shares it. Driven with a stand-in connection: with a real database the fetches
themselves also give way, which would hide whether judging does.
"""

import asyncio
from types import SimpleNamespace
from typing import Any

from watcher_server.monitoring import repository


class _OnePage:
    dialect = SimpleNamespace(name="sqlite")  # a check there yields without resting

    def __init__(self, rows: list[int]) -> None:
        self.rows = rows

    async def stream(self, statement: Any, parameters: Any) -> "_OnePage":
        return self

    async def partitions(self, size: int) -> Any:
        yield self.rows


async def test_other_requests_run_between_batches_of_one_page_of_candidates() -> None:
    turns = 0

    async def another_request() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    other = asyncio.create_task(another_request())
    await asyncio.sleep(0)
    seen = [(row, turns) async for row in repository._stream(_OnePage(list(range(100))), None, {})]
    other.cancel()

    assert [row for row, _ in seen] == list(range(100))
    turns_while_judging = seen[-1][1] - seen[0][1]
    assert turns_while_judging >= 100 // repository.ROWS_PER_TURN - 1
