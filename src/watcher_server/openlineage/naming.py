"""Pure naming rules: which pipeline a job is, which address a dataset is, and of what type.

No database here; every rule is tested directly.
"""

from typing import NamedTuple

from watcher_server.addresses.rules import DATABASE_GROUP

FILE_GROUP = "file"
STREAM_GROUP = "stream"
OTHER_GROUP = "other"
# The type of a pipeline whose job says nothing of the tool that ran it, and of a dataset whose
# namespace has no scheme Watcher knows.
DEFAULT_TYPE = "openlineage"

# Namespace scheme (as OpenLineage's naming spec writes it) → (address type, group).
SCHEMES: dict[str, tuple[str, str]] = {
    "postgres": ("postgres", DATABASE_GROUP),
    "postgresql": ("postgres", DATABASE_GROUP),
    "mysql": ("mysql", DATABASE_GROUP),
    "snowflake": ("snowflake", DATABASE_GROUP),
    "bigquery": ("bigquery", DATABASE_GROUP),
    "redshift": ("redshift", DATABASE_GROUP),
    "mssql": ("mssql", DATABASE_GROUP),
    "sqlserver": ("mssql", DATABASE_GROUP),
    "oracle": ("oracle", DATABASE_GROUP),
    "db2": ("db2", DATABASE_GROUP),
    "trino": ("trino", DATABASE_GROUP),
    "awsathena": ("athena", DATABASE_GROUP),
    "athena": ("athena", DATABASE_GROUP),
    "databricks": ("databricks", DATABASE_GROUP),
    "hive": ("hive", DATABASE_GROUP),
    "teradata": ("teradata", DATABASE_GROUP),
    "clickhouse": ("clickhouse", DATABASE_GROUP),
    "sqlite": ("sqlite", DATABASE_GROUP),
    "s3": ("s3", FILE_GROUP),
    "s3a": ("s3", FILE_GROUP),
    "s3n": ("s3", FILE_GROUP),
    "gs": ("gcs", FILE_GROUP),
    "gcs": ("gcs", FILE_GROUP),
    "abfss": ("azure", FILE_GROUP),
    "wasbs": ("azure", FILE_GROUP),
    "azure": ("azure", FILE_GROUP),
    "hdfs": ("hdfs", FILE_GROUP),
    "file": ("file", FILE_GROUP),
    "kafka": ("kafka", STREAM_GROUP),
    "pubsub": ("pubsub", STREAM_GROUP),
    "kinesis": ("kinesis", STREAM_GROUP),
}


class DatasetKind(NamedTuple):
    type_name: str
    group_name: str


def clean(name: str) -> str:
    """Watcher's name rule: trimmed of whitespace and lower-cased."""
    return name.strip().lower()


def pipeline_name(namespace: str, name: str) -> str:
    """A job's pipeline: `<namespace>.<name>`, kept whole."""
    return clean(f"{namespace.strip()}.{name.strip()}")


def pipeline_type(job_facets: dict[str, object]) -> str | None:
    """The tool that ran the job (the jobType facet's integration); None when not said."""
    job_type = job_facets.get("jobType")
    integration = job_type.get("integration") if isinstance(job_type, dict) else None
    if isinstance(integration, str) and integration.strip():
        return clean(integration)
    return None


def scheme(namespace: str) -> str:
    """`postgres://host:5432` → `postgres`; a namespace without `://` is its own scheme."""
    return clean(namespace.split("://", 1)[0])


def dataset_kind(namespace: str) -> DatasetKind:
    """The address type and group of a dataset, from its namespace's scheme."""
    known = SCHEMES.get(scheme(namespace))
    if known is None:
        return DatasetKind(DEFAULT_TYPE, OTHER_GROUP)
    return DatasetKind(*known)


def address_name(namespace: str, name: str) -> str:
    """The address of a dataset: its name when that is the full name of a table or a topic
    (`db.schema.table`); for files, the name joined to its namespace, which holds the bucket
    (`s3://bucket` + `data/x.csv` → `s3://bucket/data/x.csv`)."""
    if dataset_kind(namespace).group_name != FILE_GROUP:
        return clean(name)
    base = namespace.strip().rstrip("/")
    path = name.strip().lstrip("/")
    return clean(f"{base}/{path}" if "://" in base else f"{base}:///{path}")
