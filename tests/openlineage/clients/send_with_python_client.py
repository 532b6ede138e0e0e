"""Run inside openlineage-python's own virtualenv: send a DAG run and its tasks to Watcher.

Usage: python send_with_python_client.py <watcher url> <suffix>. Prints nothing; exits non-zero
if the client's HTTP transport saw an error.
"""

import sys
from datetime import UTC, datetime, timedelta

from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    error_message_run,
    job_type_job,
    output_statistics_output_dataset,
    parent_run,
    schema_dataset,
)
from openlineage.client.transport.http import HttpConfig, HttpTransport
from openlineage.client.uuid import generate_new_uuid

PRODUCER = "https://github.com/watcher/tests/openlineage-python"
NAMESPACE = "python_client"
WAREHOUSE = "postgres://warehouse:5432"


def main(url: str, suffix: str) -> None:
    client = OpenLineageClient(transport=HttpTransport(HttpConfig(url=url, timeout=10)))
    start = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    dag = Job(namespace=NAMESPACE, name=f"dag_{suffix}", facets=_job_type("DAG"))
    dag_run = Run(runId=str(generate_new_uuid()))
    parent = parent_run.ParentRunFacet(
        run=parent_run.Run(runId=dag_run.runId),
        job=parent_run.Job(namespace=dag.namespace, name=dag.name),
    )

    def emit(state: RunState, at: datetime, run: Run, job: Job, **datasets: list) -> None:
        client.emit(
            RunEvent(
                eventType=state,
                eventTime=at.isoformat(),
                run=run,
                job=job,
                producer=PRODUCER,
                inputs=datasets.get("inputs", []),
                outputs=datasets.get("outputs", []),
            )
        )

    emit(RunState.START, start, dag_run, dag)
    orders = InputDataset(namespace=WAREHOUSE, name=f"shop.raw.orders_{suffix}", facets=_schema())
    customers = InputDataset(namespace=WAREHOUSE, name=f"shop.raw.customers_{suffix}")
    sales = OutputDataset(
        namespace=WAREHOUSE,
        name=f"shop.mart.sales_{suffix}",
        outputFacets={
            "outputStatistics": output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
                rowCount=1500, size=64000
            )
        },
    )
    load = Job(namespace=NAMESPACE, name=f"dag_{suffix}.load_sales", facets=_job_type("TASK"))
    load_run = Run(runId=str(generate_new_uuid()), facets={"parent": parent})
    emit(RunState.START, start, load_run, load, inputs=[orders, customers], outputs=[sales])
    emit(
        RunState.COMPLETE,
        start + timedelta(minutes=3),
        load_run,
        load,
        inputs=[orders, customers],
        outputs=[sales],
    )

    export = Job(namespace=NAMESPACE, name=f"dag_{suffix}.export", facets=_job_type("TASK"))
    error = error_message_run.ErrorMessageRunFacet(
        message="disk full", programmingLanguage="python"
    )
    export_run = Run(runId=str(generate_new_uuid()), facets={"parent": parent})
    emit(RunState.START, start + timedelta(minutes=3), export_run, export)
    failed = Run(runId=export_run.runId, facets={"parent": parent, "errorMessage": error})
    emit(RunState.FAIL, start + timedelta(minutes=4), failed, export)
    emit(RunState.FAIL, start + timedelta(minutes=5), dag_run, dag)


def _job_type(job_type: str) -> dict:
    facet = job_type_job.JobTypeJobFacet(
        processingType="BATCH", integration="AIRFLOW", jobType=job_type
    )
    return {"jobType": facet}


def _schema() -> dict:
    fields = [
        schema_dataset.SchemaDatasetFacetFields(name="id", type="integer"),
        schema_dataset.SchemaDatasetFacetFields(name="amount", type="numeric"),
    ]
    return {"schema": schema_dataset.SchemaDatasetFacet(fields=fields)}


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
