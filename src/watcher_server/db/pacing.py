"""Pacing: long reads that share the server with pipelines' calls rest as they go.

A check that reads thousands of rows would otherwise take the event loop and the database in
one go, and the starts and ends arriving meanwhile would wait. Resting after each step in
proportion to the step (the wait on the database included) caps such work at a fixed share of
the time, as PostgreSQL's cost-based vacuum delay does, whatever the size of the data.
"""

import asyncio
import time

from sqlalchemy.ext.asyncio import AsyncConnection

from watcher_server.db.dialects import capabilities


class Pacer:
    """`await pacer.step_done()` after each step: rests `rest_ratio` times as long as the step
    took, so that the work keeps about 1 / (1 + rest_ratio) of the time while it runs."""

    def __init__(self, conn: AsyncConnection, rest_ratio: float) -> None:
        # Where a resting transaction would stall every start and end (SQLite's one
        # connection holds the write lock), a step only yields.
        resting = capabilities(conn).rests_inside_transaction
        self.rest_ratio = rest_ratio if resting else 0.0
        self._step_started = time.perf_counter()

    async def step_done(self) -> None:
        worked = time.perf_counter() - self._step_started
        await asyncio.sleep(worked * self.rest_ratio)
        self._step_started = time.perf_counter()
