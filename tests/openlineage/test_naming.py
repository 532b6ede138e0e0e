"""The pure naming rules."""

import pytest

from watcher_server.openlineage.naming import (
    address_name,
    dataset_kind,
    pipeline_name,
    pipeline_type,
)


def test_a_pipeline_is_named_namespace_dot_name_by_watchers_rules() -> None:
    assert pipeline_name(" Airflow ", "My_DAG.Load ") == "airflow.my_dag.load"


@pytest.mark.parametrize(
    ("facets", "expected"),
    [
        ({"jobType": {"integration": "SPARK", "jobType": "SQL_JOB"}}, "spark"),
        ({"jobType": {"integration": " "}}, None),
        ({"jobType": "dbt"}, None),
        ({}, None),
    ],
)
def test_the_pipeline_type_is_the_integration(facets: dict[str, object], expected: str) -> None:
    assert pipeline_type(facets) == expected


@pytest.mark.parametrize(
    ("namespace", "name", "address", "kind"),
    [
        ("postgres://host:5432", "DB.Public.T", "db.public.t", ("postgres", "database")),
        ("postgresql://host:5432", "db.s.t", "db.s.t", ("postgres", "database")),
        ("mysql://h:3306", "shop.orders", "shop.orders", ("mysql", "database")),
        ("redshift://c.r.amazonaws.com:5439", "d.s.t", "d.s.t", ("redshift", "database")),
        ("s3://bucket/", "/a/b.csv", "s3://bucket/a/b.csv", ("s3", "file")),
        ("gs://bucket", "a/b", "gs://bucket/a/b", ("gcs", "file")),
        ("file", "/tmp/x", "file:///tmp/x", ("file", "file")),
        ("kafka://broker:9092", "Topic", "topic", ("kafka", "stream")),
        ("my-team", "thing", "thing", ("openlineage", "other")),
    ],
)
def test_a_dataset_is_an_address_typed_by_its_scheme(
    namespace: str, name: str, address: str, kind: tuple[str, str]
) -> None:
    assert address_name(namespace, name) == address
    assert tuple(dataset_kind(namespace)) == kind
