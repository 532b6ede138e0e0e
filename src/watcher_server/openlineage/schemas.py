"""OpenLineage events as Watcher reads them (spec 2-0-2, and 1-0-x events), and the answers.

Only what Watcher maps is checked; every other field and facet passes through untouched, so a
producer newer than this server is never refused for what it adds.
"""

from functools import cached_property
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

from watcher_server.common.schemas import Metadata, RequestModel, UTCDatetime
from watcher_server.common.schemas import _check_storable as _check_storable
from watcher_server.openlineage.naming import address_name, pipeline_name

EventType = Literal["START", "RUNNING", "COMPLETE", "FAIL", "ABORT", "OTHER"]
TERMINAL: frozenset[str] = frozenset({"COMPLETE", "FAIL", "ABORT"})
# Facets are any JSON objects: kept as sent, whatever facets a producer adds.
Facets = Metadata
# Names and namespaces: text with a character other than spaces, and no NUL.
Text = Annotated[str, Field(min_length=1, pattern=r"^[^\x00]*[^\x00\s][^\x00]*$")]


class _Open(RequestModel):
    """Fields Watcher does not map are accepted, never refused."""

    model_config = ConfigDict(extra="allow")


class Job(_Open):
    namespace: Text
    name: Text
    facets: Facets = Field(default_factory=dict)

    @cached_property  # read by every step of an event
    def pipeline_name(self) -> str:
        return pipeline_name(self.namespace, self.name)


class ParentRun(_Open):
    runId: UUID  # noqa: N815 - the spec's name


class ParentFacet(_Open):
    run: ParentRun
    job: Job


class RunFacets(_Open):
    parent: ParentFacet | None = None

    @model_validator(mode="after")
    def _storable_extras(self) -> "RunFacets":
        # Facets other than the parent are kept in the run's metadata: held to the same rule
        # as declared fields (RequestModel checks those).
        _check_storable(self.model_extra)
        return self


class Run(_Open):
    runId: UUID  # noqa: N815
    facets: RunFacets = Field(default_factory=RunFacets)


class Dataset(_Open):
    namespace: Text
    name: Text
    facets: Facets = Field(default_factory=dict)
    inputFacets: Facets = Field(default_factory=dict)  # noqa: N815
    outputFacets: Facets = Field(default_factory=dict)  # noqa: N815

    @cached_property  # read by every step of an event
    def address_name(self) -> str:
        return address_name(self.namespace, self.name)

    @property
    def row_count(self) -> int | None:
        """The rows written, from the outputStatistics facet (1-0-x put it among the facets)."""
        for facets in (self.outputFacets, self.facets):
            statistics = facets.get("outputStatistics")
            if isinstance(statistics, dict):
                count = statistics.get("rowCount")
                if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
                    return count
        return None


class _Event(_Open):
    eventTime: UTCDatetime  # noqa: N815
    producer: str | None = None
    schemaURL: str | None = None  # noqa: N815


class RunEvent(_Event):
    # The spec lets a RunEvent leave its type out: it is then an OTHER.
    eventType: EventType = "OTHER"  # noqa: N815
    run: Run
    job: Job
    inputs: list[Dataset] = Field(default_factory=list)
    outputs: list[Dataset] = Field(default_factory=list)


def _absent(*names: str) -> list[dict[str, Any]]:
    """JSON Schema: none of these fields is sent (an event's kind is told by its fields)."""
    return [{"not": {"required": [name]}} for name in names]


class DatasetEvent(_Event):
    dataset: Dataset

    @classmethod
    def rules(cls) -> list[dict[str, Any]]:
        return _absent("run")


class JobEvent(_Event):
    job: Job
    inputs: list[Dataset] = Field(default_factory=list)
    outputs: list[Dataset] = Field(default_factory=list)

    @classmethod
    def rules(cls) -> list[dict[str, Any]]:
        return _absent("run", "dataset")


def event_kind(body: Any) -> str | None:
    """Which kind of event a body is: a run's when it names a run, or has no dataset and no
    job (so that the error then names what a RunEvent lacks)."""
    if not isinstance(body, dict):
        return None
    if "run" in body or ("dataset" not in body and "job" not in body):
        return "RunEvent"
    return "DatasetEvent" if "dataset" in body else "JobEvent"


AnyEvent = Annotated[
    Annotated[RunEvent, Tag("RunEvent")]
    | Annotated[DatasetEvent, Tag("DatasetEvent")]
    | Annotated[JobEvent, Tag("JobEvent")],
    Discriminator(
        event_kind,
        custom_error_type="invalid_event",
        custom_error_message="an OpenLineage event is a JSON object",
    ),
]


class EventOut(BaseModel):
    """What an event changed."""

    status: Literal["recorded", "ignored"]
    message: str
    pipeline_id: int | None = None
    execution_id: int | None = None
    run_id: UUID | None = Field(default=None, description="The runId of a RunEvent.")
    address_ids: list[int] = Field(default_factory=list)
