"""The pipeline page's actions: a posted form turned into the API's request, run through the
API's service, and what went wrong placed next to the fields it concerns."""

from datetime import datetime
from typing import Any

from watcher_server.anomalies import service as anomalies_service
from watcher_server.anomalies.schemas import UnflagRequest
from watcher_server.db import Database
from watcher_server.errors import InvalidInput, WatcherError
from watcher_server.pipelines import service as pipelines_service
from watcher_server.pipelines.schemas import PipelinePatch
from watcher_server.ui.forms import (
    THRESHOLD_FIELDS,
    FormErrors,
    as_json,
    blank_is_none,
    switch,
    validate,
)

# Each action and what the page says once it is done.
SAVED = {
    "active": "The pipeline's active switch is saved.",
    "mute": "The check's mute switch is saved.",
    "thresholds": "The thresholds are saved.",
    "unflag": "The run is unflagged: it counts in the metric's baseline again.",
}
CHECKS = ("timeliness", "freshness")


async def apply_action(
    db: Database, now: datetime, pipeline_id: int, action: str, sent: dict[str, str]
) -> FormErrors | None:
    """Validate the form with the API's request model and call the API's service; the errors,
    or None when the change is made."""
    if action == "unflag":
        values: dict[str, Any] = {
            "pipeline_id": pipeline_id,
            "pipeline_execution_id": as_json(sent.get("run_id")),
            "metric_field": [sent.get("metric")],
        }
        request, errors = validate(UnflagRequest, values, sent)
        call = anomalies_service.unflag(db, request) if request else None
    else:
        values = {"id": pipeline_id}
        if action == "active":
            values["active"] = switch(sent, "active")
        elif action == "mute":
            check = sent.get("check")
            if check not in CHECKS:
                return FormErrors(general=["check: must be timeliness or freshness"], values=sent)
            values[f"mute_{check}_check"] = switch(sent, "muted")
        else:
            values.update(blank_is_none(sent, THRESHOLD_FIELDS))
        request, errors = validate(PipelinePatch, values, sent)
        call = pipelines_service.patch_pipeline(db, request, now) if request else None
    if call is None:
        return errors
    try:
        await call
    except WatcherError as exc:
        return _placed(exc, sent)
    return None


def _placed(exc: WatcherError, sent: dict[str, str]) -> FormErrors:
    """A service's refusal, next to the field it names when the form has that field."""
    errors = FormErrors(values=sent)
    if isinstance(exc, InvalidInput) and exc.field in sent:
        errors.fields[exc.field] = exc.message
    else:
        errors.general.append(exc.message)
    return errors
