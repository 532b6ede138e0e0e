"""Anomaly detection: rules per (pipeline, metric), detection after every successful run."""
