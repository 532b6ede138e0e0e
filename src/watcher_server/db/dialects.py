"""What each database Watcher runs on can do: the one place that decides by dialect.

Code asks for a capability (`capabilities(conn).lateral`), never for a dialect's name, so each
difference says why it exists and a new database is one entry here.
"""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine


@dataclass(frozen=True)
class Capabilities:
    name: str
    # One statement can chain several writes (WITH … UPDATE … INSERT); without it, such a unit
    # of work is several statements in one transaction.
    writes_in_one_statement: bool
    # A subquery may read the columns of the FROM items before it (LATERAL).
    lateral: bool
    # A list of any length binds as one array parameter; without it, lists are sent in chunks
    # of one placeholder per value, below the driver's limit.
    array_parameters: bool
    # Transactions can take named locks; SQLite needs none, as every transaction there starts
    # with BEGIN IMMEDIATE, which lets one writer at a time in, whatever the process.
    advisory_locks: bool
    # A transaction may rest without stalling other writers; SQLite's one connection holds the
    # write lock for as long as its transaction lasts.
    rests_inside_transaction: bool


POSTGRESQL = Capabilities(
    "postgresql",
    writes_in_one_statement=True,
    lateral=True,
    array_parameters=True,
    advisory_locks=True,
    rests_inside_transaction=True,
)
SQLITE = Capabilities(
    "sqlite",
    writes_in_one_statement=False,
    lateral=False,
    array_parameters=False,
    advisory_locks=False,
    rests_inside_transaction=False,
)
_BY_NAME = {dialect.name: dialect for dialect in (POSTGRESQL, SQLITE)}


def capabilities(bind: AsyncConnection | AsyncEngine | str) -> Capabilities:
    """The capabilities of a connection's or engine's database, or of a dialect named."""
    return _BY_NAME[bind if isinstance(bind, str) else bind.dialect.name]
