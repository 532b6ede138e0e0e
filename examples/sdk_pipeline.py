"""An incremental load tracked with the published client, etl-watcher-sdk.

    pip install --ignore-requires-python etl-watcher-sdk==0.1.43
    python examples/sdk_pipeline.py [http://127.0.0.1:8000] [work-directory]

It copies the rows of a source table changed since the last successful run into a target
table, both in small SQLite files it creates in the work directory. Watcher keeps the
watermark (the source's `updated_at` high-water mark) and the lineage source → target. Run it
twice: the second run starts where the first stopped and copies only what changed since.
"""

import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path

from watcher import (
    Address,
    AddressLineage,
    ETLResult,
    Pipeline,
    PipelineConfig,
    Watcher,
    WatcherContext,
)

EPOCH = "1970-01-01T00:00:00+00:00"
ORDERS_TABLE = (
    "CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, amount REAL, updated_at TEXT)"
)


def prepare_source(path: Path) -> None:
    """A source table that gains a few rows (and changes one) every time the example runs."""
    with sqlite3.connect(path) as source:
        source.execute(ORDERS_TABLE)
        now = datetime.now(UTC).isoformat()
        source.executemany(
            "INSERT INTO orders (amount, updated_at) VALUES (?, ?)", [(10.0, now), (25.5, now)]
        )
        source.execute("UPDATE orders SET amount = amount + 1, updated_at = ? WHERE id = 1", (now,))


def copy_changes(source_path: Path, target_path: Path, low: str, high: str) -> ETLResult:
    """Upsert the source rows with low < updated_at <= high into the target."""
    with sqlite3.connect(source_path) as source, sqlite3.connect(target_path) as target:
        target.execute(ORDERS_TABLE)
        rows = source.execute(
            "SELECT id, amount, updated_at FROM orders WHERE updated_at > ? AND updated_at <= ?",
            (low, high),
        ).fetchall()
        existing = {row_id for (row_id,) in target.execute("SELECT id FROM orders").fetchall()}
        target.executemany(
            "INSERT INTO orders (id, amount, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET amount = excluded.amount, "
            "updated_at = excluded.updated_at",
            rows,
        )
        total = target.execute("SELECT count(*) FROM orders").fetchone()[0]
    inserted = sum(1 for row in rows if row[0] not in existing)
    return ETLResult(
        completed_successfully=True,
        inserts=inserted,
        updates=len(rows) - inserted,
        total_rows=total,
        execution_metadata={"source_rows_read": len(rows)},
    )


def main(base_url: str, work: Path) -> None:
    work.mkdir(parents=True, exist_ok=True)
    source_path, target_path = work / "source.db", work / "warehouse.db"
    prepare_source(source_path)

    watcher = Watcher(base_url)
    next_watermark = datetime.now(UTC).isoformat()
    config = PipelineConfig(
        pipeline=Pipeline(
            name="example_orders_incremental",
            pipeline_type_name="extraction",
            freshness_number=1,
            freshness_datepart="day",
            timeliness_number=15,
            timeliness_datepart="minute",
        ),
        address_lineage=AddressLineage(
            source_addresses=[
                Address(
                    name="source.main.orders",
                    address_type_name="sqlite",
                    address_type_group_name="database",
                )
            ],
            target_addresses=[
                Address(
                    name="warehouse.main.orders",
                    address_type_name="sqlite",
                    address_type_group_name="database",
                )
            ],
        ),
        default_watermark=EPOCH,
        next_watermark=next_watermark,
    )
    synced = watcher.sync_pipeline_config(config)

    @watcher.track_pipeline_execution(
        pipeline_id=synced.pipeline.id,
        active=synced.pipeline.active,
        watermark=synced.watermark,
        next_watermark=next_watermark,
    )
    def load(watcher_context: WatcherContext) -> ETLResult:
        return copy_changes(
            source_path, target_path, watcher_context.watermark, watcher_context.next_watermark
        )

    outcome = load()
    if outcome is None:
        print("pipeline is inactive; nothing done")
        return
    print(
        f"execution {outcome.execution_id}: loaded ({synced.watermark}, {next_watermark}]: "
        f"{outcome.result.inserts} inserted, {outcome.result.updates} updated"
    )


if __name__ == "__main__":
    main(
        sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000",
        Path(sys.argv[2]) if len(sys.argv) > 2 else Path("example-data"),
    )
