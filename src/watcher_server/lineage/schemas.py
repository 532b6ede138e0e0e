"""Request and response bodies of the lineage endpoints."""

from typing import Literal

from pydantic import Field, model_validator

from watcher_server.addresses.schemas import AddressCreate
from watcher_server.common.schemas import BodyId, RequestModel, ResponseModel

MAX_ADDRESSES_PER_SIDE = 1_000
MAX_EDGES_PER_PIPELINE = 10_000

Direction = Literal["upstream", "downstream", "both"]


class LineageCreate(RequestModel):
    """A pipeline's whole lineage: every source feeds every target.

    Addresses take the shape of `POST /address`; `address_name` is accepted for `name`.
    """

    pipeline_id: BodyId
    source_addresses: list[AddressCreate] = Field(max_length=MAX_ADDRESSES_PER_SIDE)
    target_addresses: list[AddressCreate] = Field(max_length=MAX_ADDRESSES_PER_SIDE)

    @model_validator(mode="after")
    def _bounded(self) -> "LineageCreate":
        sources = {address.name for address in self.source_addresses}
        targets = {address.name for address in self.target_addresses}
        if len(sources) * len(targets) > MAX_EDGES_PER_PIPELINE:
            raise ValueError(
                f"{len(sources)} sources x {len(targets)} targets exceed the "
                f"{MAX_EDGES_PER_PIPELINE} lineage relationships a pipeline may declare"
            )
        return self


class LineageWritten(ResponseModel):
    pipeline_id: int
    lineage_relationships_created: int
    message: str


class ClosureRowOut(ResponseModel):
    """One (ancestor, descendant) pair and the length of the shortest path between them."""

    source_address_id: int
    target_address_id: int
    depth: int
    source_address_name: str
    target_address_name: str


class GraphNode(ResponseModel):
    id: int
    name: str
    type: str = Field(description="The address type's name.")
    group: str = Field(description="The address type's group.")
    distance: int = Field(description="Edges between the start and this address (0: the start).")


class EdgePipeline(ResponseModel):
    id: int
    name: str
    type: str = Field(description="The pipeline type's name.")
    active: bool


class GraphEdge(ResponseModel):
    source: int
    target: int
    pipelines: list[EdgePipeline] = Field(description="Every pipeline declaring this edge.")


class LineageGraph(ResponseModel):
    address_id: int
    direction: Direction
    depth: int = Field(description="The depth served: the one asked for, at most the server cap.")
    truncated: bool = Field(
        description="True when the server's depth or node cap left reachable addresses out."
    )
    nodes: list[GraphNode]
    edges: list[GraphEdge]
