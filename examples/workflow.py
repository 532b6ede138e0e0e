"""The complete pipeline workflow against a running Watcher, using plain HTTP.

    python examples/workflow.py [http://127.0.0.1:8000]

An incremental load: ask Watcher where the last successful run stopped, record the run, load
the rows between the two watermarks, and report the outcome so the watermark moves on.
"""

import sys
from datetime import UTC, datetime

import httpx


def main(base_url: str) -> None:
    with httpx.Client(base_url=base_url, timeout=10) as watcher:
        # 1. Declare the pipeline (get-or-create by name) and the bound this run will load up to.
        next_watermark = datetime.now(UTC).isoformat()
        pipeline = (
            watcher.post(
                "/pipeline",
                json={
                    "name": "orders_incremental",
                    "pipeline_type_name": "extraction",
                    "next_watermark": next_watermark,
                    "freshness_number": 1,
                    "freshness_datepart": "day",
                    "timeliness_number": 30,
                    "timeliness_datepart": "minute",
                },
            )
            .raise_for_status()
            .json()
        )
        watermark = pipeline["watermark"] or "1970-01-01T00:00:00+00:00"
        print(f"pipeline {pipeline['id']}: load ({watermark}, {next_watermark}]")

        # 2. Send lineage when Watcher asks for it: on first sight, and after a change of it.
        if pipeline["load_lineage"]:
            watcher.post(
                "/address_lineage",
                json={
                    "pipeline_id": pipeline["id"],
                    "source_addresses": [
                        {
                            "name": "shop.public.orders",
                            "address_type_name": "postgres",
                            "address_type_group_name": "database",
                        }
                    ],
                    "target_addresses": [
                        {
                            "name": "warehouse.sales.orders",
                            "address_type_name": "postgres",
                            "address_type_group_name": "database",
                        }
                    ],
                },
            ).raise_for_status()

        # 3. Record the start of the run.
        execution = (
            watcher.post("/start_pipeline_execution", json={"pipeline_id": pipeline["id"]})
            .raise_for_status()
            .json()
        )

        # 4. Do the work. Here: pretend to copy the rows changed since the watermark.
        inserted, updated = 42, 7

        # 5. Record the outcome; on success the watermark becomes next_watermark.
        watcher.post(
            "/end_pipeline_execution",
            json={
                "id": execution["id"],
                "completed_successfully": True,
                "inserts": inserted,
                "updates": updated,
                "total_rows": inserted + updated,
            },
        ).raise_for_status()

        run = watcher.get(f"/pipeline_execution/{execution['id']}").raise_for_status().json()
        stored = watcher.get(f"/pipeline/{pipeline['id']}").raise_for_status().json()
        print(f"execution {run['id']} {run['status']} in {run['duration_seconds']} s")
        print(f"watermark is now {stored['watermark']}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
