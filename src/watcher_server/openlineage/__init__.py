"""OpenLineage in: run, dataset and job events mapped onto pipelines, runs and lineage."""
