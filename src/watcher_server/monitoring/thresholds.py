"""Which threshold applies to a pipeline: its own, else its type's; a mute at either level wins.

Pure functions, no database.
"""

import enum
from dataclasses import dataclass

from watcher_server.models.base import DatePart


class ConfigLevel(enum.StrEnum):
    """Where a threshold came from."""

    PIPELINE = "pipeline"
    PIPELINE_TYPE = "pipeline_type"


@dataclass(frozen=True)
class LevelSetting:
    """One level's setting for a check: a number of units, and whether the check is muted."""

    number: int | None
    datepart: DatePart | None
    muted: bool = False


@dataclass(frozen=True)
class Threshold:
    number: int
    datepart: DatePart
    level: ConfigLevel

    @property
    def used_child_config(self) -> bool:
        """The original's name for "the pipeline's own setting was used"."""
        return self.level is ConfigLevel.PIPELINE


def resolve_threshold(pipeline: LevelSetting, pipeline_type: LevelSetting) -> Threshold | None:
    """The threshold to check against, or None when the check does not apply.

    The pipeline's complete pair wins over its type's; with neither there is nothing to check.
    A mute on the pipeline or on its type turns the check off (a muted type mutes all its
    pipelines).
    """
    if pipeline.muted or pipeline_type.muted:
        return None
    for setting, level in (
        (pipeline, ConfigLevel.PIPELINE),
        (pipeline_type, ConfigLevel.PIPELINE_TYPE),
    ):
        if setting.number is not None and setting.number > 0 and setting.datepart is not None:
            return Threshold(setting.number, setting.datepart, level)
    return None
