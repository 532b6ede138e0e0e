"""Which failures mean "the database is unavailable right now", on either database.

Unreachable, shutting down, starting up, out of connections, a connection dropped mid-request,
a SQLite file locked past the busy timeout: the call was not applied, or its commit was never
acknowledged, and the client may send it again. They are told apart from bugs by the driver's
error class and code, not by message text.
"""

import sqlite3
from collections.abc import Iterator

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

# PostgreSQL SQLSTATE classes: 08 connection exceptions (08003 connection_does_not_exist,
# 08006 connection_failure…), 53 insufficient resources (53300 too_many_connections,
# 53100 disk_full…).
_UNAVAILABLE_SQLSTATE_CLASSES = ("08", "53")
# 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up, shutting
# down, in recovery), 57P05 idle_session_timeout.
_UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "57P05"})

# SQLite's primary result codes (the low byte of an extended code) for a file locked past
# busy_timeout, one that cannot be opened, read or written, or a full disk.
_UNAVAILABLE_SQLITE_CODES = frozenset(
    {
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_PROTOCOL,
    }
)


def is_database_unavailable(exc: BaseException) -> bool:
    """True for failures that mean "the database cannot serve this call right now"."""
    if isinstance(exc, PoolTimeoutError):  # every pooled connection stayed busy for pool_timeout
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True  # SQLAlchemy saw the connection die and dropped it from the pool
    return any(_driver_says_unavailable(error) for error in _wrapped(exc))


def _wrapped(exc: BaseException) -> Iterator[BaseException]:
    """The error and those it wraps: SQLAlchemy's DBAPIError keeps the adapter's error in
    `.orig`, and the asyncpg adapter keeps asyncpg's own as its `__cause__`."""
    seen: set[int] = set()  # a chain can loop; the traceback printer guards against it too
    error: BaseException | None = exc
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = getattr(error, "orig", None) or error.__cause__


def _driver_says_unavailable(error: BaseException) -> bool:
    if isinstance(error, OSError):  # refused, reset, unreachable, unknown host, timed out
        return True
    if isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", None)
        return code is not None and code & 0xFF in _UNAVAILABLE_SQLITE_CODES
    sqlstate = getattr(error, "sqlstate", None)
    return isinstance(sqlstate, str) and (
        sqlstate.startswith(_UNAVAILABLE_SQLSTATE_CLASSES) or sqlstate in _UNAVAILABLE_SQLSTATES
    )
