"""The web console: server-rendered pages under /ui that read through the domain services."""
