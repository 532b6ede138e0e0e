"""EXPLAIN of a SQLAlchemy statement on PostgreSQL, for the plan regression tests."""

from typing import Any

from sqlalchemy import ClauseElement, Executable
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.compiler import compiles


class Explain(Executable, ClauseElement):
    inherit_cache = False

    def __init__(self, statement: Any) -> None:
        self.statement = statement


@compiles(Explain, "postgresql")
def _explain(element: Explain, compiler: Any, **options: Any) -> str:
    return "EXPLAIN " + compiler.process(element.statement, **options)


async def plan(conn: AsyncConnection, statement: Any, parameters: dict[str, Any]) -> str:
    return "\n".join((await conn.execute(Explain(statement), parameters)).scalars())
