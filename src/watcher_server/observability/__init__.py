"""What Watcher tells its operators: request ids and log lines, Prometheus metrics, traces."""
