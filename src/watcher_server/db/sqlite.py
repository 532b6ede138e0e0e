"""SQLite through aiosqlite, with each statement one trip to the connection's thread.

aiosqlite runs every sqlite3 call in a thread of its own and hands the result back through the
event loop. SQLAlchemy's adapter makes four such trips per statement (open a cursor, execute,
fetch, close), and SQLite has a single writer: every trip lengthens the section all requests
queue for. The cursor here does the four in the thread in one go, sends a transaction's
BEGIN with its first statement, and lets a one-statement unit (Database.autocommit) commit in
the trip that runs it: a start is one trip instead of six, a successful end three instead of
fifteen.
"""

import sqlite3
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any

import aiosqlite
from sqlalchemy import event
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

try:
    from sqlalchemy.util import await_
except ImportError:  # SQLAlchemy 2.0 names it await_only
    from sqlalchemy.util import await_only as await_

# Execution option for Database.autocommit(): each statement is its own transaction, committed
# (and synced) in the same trip that runs it. A single write statement takes the write lock for
# its whole run, as BEGIN IMMEDIATE would, so it waits on busy_timeout like any transaction.
STATEMENTS_COMMIT_ALONE = "watcher_statements_commit_alone"

PRAGMAS = (
    "PRAGMA foreign_keys = ON",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
)


def create_sqlite_engine(url: str, busy_timeout_seconds: float, echo: bool) -> AsyncEngine:
    # SQLite has a single writer. One pooled connection serialises this process's transactions,
    # and BEGIN IMMEDIATE takes the write lock up front so that another process (the CLI, a
    # separate job runner) waits on busy_timeout instead of failing half-way through; past it,
    # the call fails with SQLITE_BUSY, which callers are told is a 503 to retry.
    # No reset-on-return rollback: a Connection ends its own transaction on close.
    engine = create_async_engine(
        url,
        echo=echo,
        module=_OneTripDBAPI(aiosqlite, sqlite3),
        pool_size=1,
        max_overflow=0,
        pool_timeout=30,
        pool_reset_on_return=None,
        connect_args={"timeout": busy_timeout_seconds},
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: DBAPIConnection, _: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None  # let the "begin" hook below issue BEGIN
        cursor = dbapi_connection.cursor()
        for pragma in PRAGMAS:
            cursor.execute(pragma)
        cursor.execute(f"PRAGMA busy_timeout = {round(busy_timeout_seconds * 1000)}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(STATEMENTS_COMMIT_ALONE):
            return  # no BEGIN: SQLite runs each statement in a transaction of its own
        # Sent with the transaction's first statement, in the same trip.
        conn.connection.dbapi_connection.begin_pending = True

    return engine


def _run(
    connection: sqlite3.Connection, operation: str, parameters: Any, many: bool, begin: bool
) -> tuple[Any, list[Any], int, int | None]:
    """In aiosqlite's thread: (begin,) execute, fetch every row and close, as one unit."""
    cursor = connection.cursor()
    try:
        if begin:
            cursor.execute("BEGIN IMMEDIATE")
        if many:
            cursor.executemany(operation, parameters)
        else:
            cursor.execute(operation, parameters or ())
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class _OneTripCursor:
    """The DB-API cursor SQLAlchemy drives; like the adapter's own, it fetches rows eagerly."""

    server_side = False

    def __init__(self, adapted: AsyncAdapt_aiosqlite_connection) -> None:
        self._adapted = adapted
        self._aiosqlite: aiosqlite.Connection = adapted._connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1
        self._rows: deque[Any] = deque()

    def _call(self, operation: str, parameters: Any, many: bool) -> None:
        connection = self._aiosqlite._conn
        begin, self._adapted.begin_pending = self._adapted.begin_pending, False
        try:
            result = await_(
                self._aiosqlite._execute(_run, connection, operation, parameters, many, begin)
            )
        except Exception as error:
            self._adapted._handle_exception(error)
        self.description, rows, self.rowcount, self.lastrowid = result
        self._rows = deque(rows)

    def execute(self, operation: str, parameters: Any = None) -> None:
        self._call(operation, parameters, many=False)

    def executemany(self, operation: str, seq_of_parameters: Sequence[Any]) -> None:
        self._call(operation, seq_of_parameters, many=True)

    def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    def fetchmany(self, size: int | None = None) -> list[Any]:
        count = min(size or self.arraysize, len(self._rows))
        return [self._rows.popleft() for _ in range(count)]

    def fetchall(self) -> list[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows

    def __iter__(self) -> Iterator[Any]:
        while self._rows:
            yield self._rows.popleft()

    def setinputsizes(self, *sizes: Any) -> None:
        pass

    def nextset(self) -> None:
        return None

    def close(self) -> None:
        self._rows.clear()

    async def _async_soft_close(self) -> None:
        """Asyncio results call this to close the driver's cursor early: it is already closed."""


class _OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("begin_pending",)

    def __init__(self, dbapi: Any, connection: aiosqlite.Connection) -> None:
        super().__init__(dbapi, connection)
        self.begin_pending = False  # a transaction began and its BEGIN is not sent yet

    # A transaction that sent nothing, or whose statements committed alone, ends without a
    # trip (aiosqlite reads in_transaction without one).
    def commit(self) -> None:
        self.begin_pending = False
        if self._connection.in_transaction:
            super().commit()

    def rollback(self) -> None:
        self.begin_pending = False
        if self._connection.in_transaction:
            super().rollback()

    def cursor(self, server_side: bool = False) -> Any:
        if server_side:  # streamed results keep the adapter's own cursor, inside the BEGIN
            if self.begin_pending:
                self.begin_pending = False
                _OneTripCursor(self).execute("BEGIN IMMEDIATE")
            return super().cursor(server_side=True)
        return _OneTripCursor(self)


class _OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *args: Any, **kwargs: Any) -> _OneTripConnection:
        adapted = super().connect(*args, **kwargs)
        return _OneTripConnection(self, adapted._connection)
