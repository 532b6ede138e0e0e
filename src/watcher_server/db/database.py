"""The engine and the transaction block every unit of work runs in.

Behind a transaction pooler (PgBouncer's `pool_mode = transaction`, `DATABASE_PGBOUNCER`), a
server connection is lent to a client for one transaction, then to another client. asyncpg's
defaults assume a session per connection, and break there twice over:
- named prepared statements, cached per connection by asyncpg and by SQLAlchemy, live on the
  server connection that prepared them: a later transaction may run where the name is unknown
  or already taken by another client's statement;
- outside a transaction a statement is two round trips (prepare, then bind and execute), and the
  pooler may send the second to another server connection.
So there every statement is unnamed and uncached, and runs inside a transaction. Nothing else
needs changing: advisory locks are transaction locks (`db.locks`), and Watcher keeps no session
state and uses no LISTEN/NOTIFY.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, make_url, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from watcher_server.db.dialects import Capabilities, capabilities
from watcher_server.db.sqlite import STATEMENTS_COMMIT_ALONE, create_sqlite_engine
from watcher_server.db.url import parse_database_url

# asyncpg prepares unnamed statements when its cache is off; SQLAlchemy's own cache of prepared
# statements would keep them past their transaction.
UNNAMED_STATEMENTS = {"statement_cache_size": 0, "prepared_statement_cache_size": 0}


class Database:
    """One engine per process; `transaction()` is the only way work reaches the database."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 20,
        busy_timeout_seconds: float = 30,
        echo: bool = False,
        pgbouncer: bool = False,
    ) -> None:
        self.url = parse_database_url(url)
        # Behind a transaction pooler every statement must run inside a transaction.
        self.pgbouncer = pgbouncer
        self.engine: AsyncEngine = _create_engine(
            self.url.render_as_string(False), pool_size, busy_timeout_seconds, echo, pgbouncer
        )
        # The same pool, with each statement committing on its own.
        self._autocommit = self.engine.execution_options(
            **{STATEMENTS_COMMIT_ALONE: True}
            if self.dialect == "sqlite"
            else {"isolation_level": "AUTOCOMMIT"}
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def capabilities(self) -> Capabilities:
        """What the database underneath can do (`db.dialects`)."""
        return capabilities(self.engine)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A connection inside one transaction, committed when the block exits without error."""
        async with self.engine.begin() as conn:
            yield conn

    @asynccontextmanager
    async def autocommit(self) -> AsyncIterator[AsyncConnection]:
        """A connection on which each statement commits on its own: for a unit of work that
        is one statement (atomic by itself), or reads whose answer no later write depends on.

        This saves the BEGIN and COMMIT of `transaction()`: round trips on PostgreSQL, which
        on the hot paths cost as much as the statement itself; trips to the driver's thread
        inside the one-writer section on SQLite. Never use it for work that must write twice
        or not at all.
        """
        opened = self.engine.begin() if self.pgbouncer else self._autocommit.connect()
        async with opened as conn:
            yield conn

    async def ping(self) -> None:
        """Raise unless the database answers a trivial query."""
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


def one_off_engine(url: str) -> AsyncEngine:
    """An engine for a command's single connection (migrations, the revision check on start).

    Safe through a transaction pooler whatever the settings say: several processes starting
    at once would otherwise prepare the same numbered statement names on one server connection,
    and a statement cache gains a command nothing.
    """
    postgresql = make_url(url).get_backend_name() == "postgresql"
    return create_async_engine(
        url, poolclass=NullPool, connect_args=UNNAMED_STATEMENTS if postgresql else {}
    )


def _create_engine(
    url: str, pool_size: int, busy_timeout_seconds: float, echo: bool, pgbouncer: bool
) -> AsyncEngine:
    if url.startswith("sqlite"):
        return create_sqlite_engine(url, busy_timeout_seconds, echo)
    # Connections are opened as needed and then kept: no overflow, because an overflow
    # connection is closed as soon as it is returned, and under steady load reconnecting
    # (TLS negotiation, codec set-up, re-preparing statements) cost more than the requests.
    engine = create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=10,
        pool_recycle=3600,
        connect_args=UNNAMED_STATEMENTS if pgbouncer else {},
    )
    event.listen(engine.sync_engine, "checkout", _replace_closed_connection)
    return engine


def _replace_closed_connection(dbapi_connection: Any, *_: Any) -> None:
    # A server that ends sessions (restart, pg_terminate_backend, idle_session_timeout) closes
    # their sockets, and asyncpg notices while the connection waits in the pool. Raising here
    # makes the pool connect anew rather than hand out a connection that fails the request.
    # pool_pre_ping would find the same with a round trip per checkout (it doubled the time of
    # a one-statement checkout when measured); this check makes none.
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError("the server closed this pooled connection")
