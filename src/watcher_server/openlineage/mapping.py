"""Pure mapping rules: what an event adds to a run's metadata and to an address's, and the
figures a run's end reports. No database here."""

from collections.abc import Iterable
from typing import Any

from watcher_server.addresses.schemas import AddressCreate
from watcher_server.openlineage.naming import dataset_kind
from watcher_server.openlineage.schemas import Dataset, ParentFacet, RunEvent

# Everything OpenLineage told about a run or an address sits under this metadata key.
KEY = "openlineage"
# Parts of the run's section that later events add to rather than replace.
_MERGED = ("facets", "jobFacets", "inputs", "outputs")


def _datasets(datasets: Iterable[Dataset], facets: str) -> dict[str, dict[str, Any]]:
    return {
        dataset.address_name: {
            "namespace": dataset.namespace,
            "name": dataset.name,
            **({facets: getattr(dataset, facets)} if getattr(dataset, facets) else {}),
        }
        for dataset in datasets
    }


def run_section(event: RunEvent) -> dict[str, Any]:
    """What this event says of its run: its facets (unknown ones included), its job's facets
    and the datasets it read and wrote."""
    facets = event.run.facets.model_dump(mode="json", exclude_none=True)
    section: dict[str, Any] = {
        "runId": str(event.run.runId),
        "job": {"namespace": event.job.namespace, "name": event.job.name},
        "facets": facets,
        "jobFacets": event.job.facets,
        "inputs": _datasets(event.inputs, "inputFacets"),
        "outputs": _datasets(event.outputs, "outputFacets"),
    }
    error = facets.get("errorMessage")
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        section["errorMessage"] = error["message"]
    return section


def parent_section(parent: ParentFacet) -> dict[str, Any]:
    """The metadata of a parent run first seen as a parent."""
    job = {"namespace": parent.job.namespace, "name": parent.job.name}
    return {"runId": str(parent.run.runId), "job": job}


def merged_run_metadata(stored: dict[str, Any] | None, section: dict[str, Any]) -> dict[str, Any]:
    """The run's metadata with this event's section merged in: facets and datasets add up
    across events (Spark reports its datasets over several), the rest is the latest."""
    metadata = dict(stored or {})
    old = metadata.get(KEY) if isinstance(metadata.get(KEY), dict) else {}
    new = {**old, **section}
    for part in _MERGED:
        if isinstance(old.get(part), dict):
            new[part] = {**old[part], **section.get(part, {})}
    metadata[KEY] = new
    return metadata


def run_datasets(metadata: dict[str, Any], side: str) -> list[str]:
    """The addresses a run read (`inputs`) or wrote (`outputs`), over all its events."""
    section = metadata.get(KEY)
    datasets = section.get(side) if isinstance(section, dict) else None
    return sorted(datasets) if isinstance(datasets, dict) else []


def total_rows(outputs: Iterable[Dataset]) -> int | None:
    """The rows the run wrote, from its outputs' outputStatistics; None when none says."""
    counts = [count for dataset in outputs if (count := dataset.row_count) is not None]
    return sum(counts) if counts else None


def address_declarations(
    datasets: Iterable[Dataset], stored: dict[str, dict[str, Any]]
) -> list[AddressCreate]:
    """One declaration per address: its type from the namespace's scheme, and its metadata
    with the namespace and the dataset facets (schema, columnLineage, unknown ones), merged
    over those stored, so that a reader that reports fewer facets than the writer loses none."""
    found: dict[str, dict[str, Any]] = {}
    kinds = {}
    for dataset in datasets:
        name = dataset.address_name
        if name not in found:
            metadata = stored.get(name, {})
            section = metadata.get(KEY) if isinstance(metadata.get(KEY), dict) else {}
            facets = section.get("facets") if isinstance(section.get("facets"), dict) else {}
            found[name] = {**metadata, KEY: {**section, "facets": dict(facets)}}
            kinds[name] = dataset_kind(dataset.namespace)
        section = found[name][KEY]
        section.update(namespace=dataset.namespace, name=dataset.name)
        section["facets"].update(dataset.facets)
    return [
        AddressCreate(
            name=name,
            address_type_name=kinds[name].type_name,
            address_type_group_name=kinds[name].group_name,
            address_metadata=metadata,
        )
        for name, metadata in found.items()
    ]
