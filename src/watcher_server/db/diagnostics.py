"""What the database is: its server version, size on disk and migration revision, asked the
way each database answers."""

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection


@dataclass(frozen=True)
class DatabaseFacts:
    dialect: str
    server_version: str
    size_bytes: int | None
    revision: str | None


_VERSION = {"postgresql": "SELECT version()", "sqlite": "SELECT 'SQLite ' || sqlite_version()"}
_SIZE = {
    "postgresql": "SELECT pg_database_size(current_database())",
    # The main file; the write-ahead log comes and goes with checkpoints.
    "sqlite": "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
}


async def database_facts(conn: AsyncConnection) -> DatabaseFacts:
    dialect = conn.dialect.name
    version = (await conn.execute(text(_VERSION[dialect]))).scalar_one()
    size = (await conn.execute(text(_SIZE[dialect]))).scalar_one()
    revisions = await conn.execute(text("SELECT version_num FROM alembic_version"))
    return DatabaseFacts(dialect, str(version), size, revisions.scalar_one_or_none())
