"""Log configuration shared by `watcher serve` (each worker), `watcher jobs run` and uvicorn.

JSON lines (python-json-logger) for log pipelines, or readable text on a terminal. Every line
written while a request is served carries its request id, the pipeline and run once known,
and with traces on the request's trace id, to go from a log line to its trace.
"""

import logging
import sys
from typing import TextIO

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from watcher_server.observability.context import CURRENT
from watcher_server.settings import LogFormat

CONTEXT_FIELDS = ("request_id", "pipeline_id", "execution_id", "trace_id")
# uvicorn's own loggers: their lines go through the root handler, in the same format. Its
# access logger stays as `watcher serve` sets it (off): the middleware writes access lines.
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error")


class _RequestFields(logging.Filter):
    """Copies the current request's id, pipeline and run onto each record made while serving."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = CURRENT.get()
        if context is not None:
            for field in CONTEXT_FIELDS:
                value = getattr(context, field)
                if value is not None and not hasattr(record, field):
                    setattr(record, field, value)
        return True


class _TextFormatter(logging.Formatter):
    """`time level logger: message key=value…` with the request fields a record carries."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = " ".join(
            f"{name}={getattr(record, name)}" for name in CONTEXT_FIELDS if hasattr(record, name)
        )
        return f"{line} {fields}" if fields else line


def _json_formatter() -> logging.Formatter:
    return JsonFormatter(
        "{levelname}{name}{message}{process}",
        style="{",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp=True,
        # uvicorn adds a copy of some messages with terminal colours.
        reserved_attrs=[*RESERVED_ATTRS, "color_message"],
    )


def configure_logging(
    level: str, log_format: LogFormat | None, stream: TextIO | None = None
) -> None:
    """Send every log line to `stream` (stderr) in `log_format` (None: text on a terminal,
    else JSON)."""
    stream = stream or sys.stderr
    if log_format is None:
        log_format = "text" if stream.isatty() else "json"
    handler = logging.StreamHandler(stream)
    handler.addFilter(_RequestFields())
    handler.setFormatter(
        _json_formatter()
        if log_format == "json"
        else _TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    for name in UVICORN_LOGGERS:
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
