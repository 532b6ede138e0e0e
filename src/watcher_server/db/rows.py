"""Many rows sent as one bound parameter and read back as a table; materialised CTEs.

A statement that needs a long list of keys (thousands of (source, target) pairs) would
otherwise need one placeholder per value, past the drivers' limits, and a new statement per
list length. Here the list is one parameter: arrays expanded by unnest() on PostgreSQL, a JSON
array read by json_each() on SQLite.
"""

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import CTE, BigInteger, Integer, Select, bindparam, func, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import TypeEngine

from watcher_server.db.dialects import capabilities

_TYPES: dict[str, TypeEngine[Any]] = {"bigint": BigInteger(), "int": Integer()}


class RowsParameter:
    """A table of rows with the given columns (name → "bigint" or "int"), bound as `name`."""

    def __init__(self, name: str, columns: dict[str, str]) -> None:
        self.name = name
        self.columns = columns

    def select(self, dialect: str) -> Select[Any]:
        """SELECT <columns> FROM the rows; use it as a subquery."""
        if capabilities(dialect).array_parameters:
            arrays = [
                bindparam(f"{self.name}_{column}", type_=ARRAY(_TYPES[kind]))
                for column, kind in self.columns.items()
            ]
            table = func.unnest(*arrays).table_valued(*self.columns).render_derived()
            return select(*(table.c[column] for column in self.columns))
        items = func.json_each(bindparam(self.name)).table_valued("value")
        return select(
            *(
                func.json_extract(items.c.value, literal_column(f"'$[{index}]'")).label(column)
                for index, column in enumerate(self.columns)
            )
        )

    def bind(self, dialect: str, rows: Iterable[Sequence[Any]]) -> dict[str, Any]:
        """The parameter values that carry `rows`."""
        rows = list(rows)
        if capabilities(dialect).array_parameters:
            return {
                f"{self.name}_{column}": [row[index] for row in rows]
                for index, column in enumerate(self.columns)
            }
        return {self.name: json.dumps([list(row) for row in rows])}


def materialized(cte: CTE) -> CTE:
    """Have PostgreSQL compute `cte` once, on its own, instead of folding it into the outer
    query: for statements whose good plan the planner cannot see from its estimates (skewed
    graphs, where one address feeds thousands). SQLite plans CTEs its own way."""
    return cte.prefix_with("MATERIALIZED", dialect="postgresql")
