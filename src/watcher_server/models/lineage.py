"""Addresses (tables, files, reports), the lineage edges pipelines declare between them, and the
closure of those edges: every reachable (ancestor, descendant) pair with its shortest distance."""

from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from watcher_server.db.types import BigId, JSONDocument
from watcher_server.models.base import Base, CreatedAt, Timestamps
from watcher_server.models.pipelines import NAME_LENGTH


class AddressType(Timestamps, Base):
    """A kind of address (`postgres`, `gcs`, `looker`) and its group (`database`, `file`…)."""

    __tablename__ = "address_type"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)
    group_name: Mapped[str] = mapped_column(String(NAME_LENGTH))


class Address(Timestamps, Base):
    """Something a pipeline reads or writes, known by its (lower-cased) name."""

    __tablename__ = "address"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)
    address_type_id: Mapped[int] = mapped_column(BigId, ForeignKey("address_type.id"), index=True)
    database_name: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    schema_name: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    table_name: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    primary_key: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    address_metadata: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    # SHA-256 of the fields last sent to POST /address (or in a lineage); see pipeline.input_hash.
    input_hash: Mapped[str | None] = mapped_column(String(64))


class AddressLineage(CreatedAt, Base):
    """One edge source → target declared by one pipeline. Several pipelines may declare the same
    edge; the graph is the set of distinct (source, target) pairs."""

    __tablename__ = "address_lineage"
    __table_args__ = (
        UniqueConstraint(
            "pipeline_id",
            "source_address_id",
            "target_address_id",
            name="ux_address_lineage_pipeline_source_target",
        ),
        # Walking the graph both ways, and "which pipelines carry this edge".
        Index("ix_address_lineage_source_target", "source_address_id", "target_address_id"),
        Index("ix_address_lineage_target_source", "target_address_id", "source_address_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    pipeline_id: Mapped[int] = mapped_column(BigId, ForeignKey("pipeline.id"))
    source_address_id: Mapped[int] = mapped_column(BigId, ForeignKey("address.id"))
    target_address_id: Mapped[int] = mapped_column(BigId, ForeignKey("address.id"))


class AddressLineageClosure(Base):
    """(source, target, depth): target is reachable from source and depth is the length of the
    shortest path. Only paths of one edge or more are stored: there are no depth-0 self rows, and
    (a, a, d) exists exactly when a lies on a cycle, d being the length of its shortest cycle."""

    __tablename__ = "address_lineage_closure"
    __table_args__ = (
        # Descendants of an address (the primary key) and its ancestors (the index), with the
        # depth inside both indexes on PostgreSQL so that walks never visit the table.
        PrimaryKeyConstraint(
            "source_address_id", "target_address_id", postgresql_include=["depth"]
        ),
        Index(
            "ix_address_lineage_closure_target_source",
            "target_address_id",
            "source_address_id",
            postgresql_include=["depth"],
        ),
        CheckConstraint("depth >= 1", name="depth_positive"),
    )

    # No foreign keys: every row is derived from address_lineage, whose keys are checked, and
    # addresses are never deleted. Per-row FK triggers would double the cost of closure writes.
    source_address_id: Mapped[int] = mapped_column(BigId)
    target_address_id: Mapped[int] = mapped_column(BigId)
    depth: Mapped[int] = mapped_column(Integer)
