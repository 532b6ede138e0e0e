"""Watcher: the metadata service data pipelines call at the start and end of every run."""

__version__ = "0.1.0"
