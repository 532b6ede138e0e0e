"""Direct reads of the lineage tables, to check what the API wrote."""

from collections.abc import Collection

from sqlalchemy import or_, select

from tests.lineage.reference import Edge
from watcher_server.db import Database
from watcher_server.models import AddressLineage, AddressLineageClosure

closure = AddressLineageClosure.__table__
lineage = AddressLineage.__table__


async def read_closure(database: Database, address_ids: Collection[int]) -> dict[Edge, int]:
    """Every closure row that starts or ends at one of `address_ids`."""
    ids = list(address_ids)
    statement = select(closure).where(
        or_(closure.c.source_address_id.in_(ids), closure.c.target_address_id.in_(ids))
    )
    async with database.transaction() as conn:
        rows = await conn.execute(statement)
        return {(row.source_address_id, row.target_address_id): row.depth for row in rows}


async def read_edges(database: Database, pipeline_ids: Collection[int]) -> set[tuple[int, Edge]]:
    """(pipeline, edge) rows of the given pipelines."""
    statement = select(
        lineage.c.pipeline_id, lineage.c.source_address_id, lineage.c.target_address_id
    ).where(lineage.c.pipeline_id.in_(list(pipeline_ids)))
    async with database.transaction() as conn:
        return {(row[0], (row[1], row[2])) for row in await conn.execute(statement)}
