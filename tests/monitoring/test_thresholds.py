"""Which threshold applies, without a database."""

import pytest

from watcher_server.models.base import DatePart
from watcher_server.monitoring.thresholds import (
    ConfigLevel,
    LevelSetting,
    Threshold,
    resolve_threshold,
)

HOUR = LevelSetting(1, DatePart.HOUR)
DAY = LevelSetting(2, DatePart.DAY)
UNSET = LevelSetting(None, None)


def test_the_pipeline_wins_over_its_type() -> None:
    assert resolve_threshold(HOUR, DAY) == Threshold(1, DatePart.HOUR, ConfigLevel.PIPELINE)
    assert resolve_threshold(HOUR, DAY).used_child_config is True


def test_the_type_applies_when_the_pipeline_has_no_complete_pair() -> None:
    for own in (UNSET, LevelSetting(3, None), LevelSetting(None, DatePart.DAY)):
        threshold = resolve_threshold(own, DAY)
        assert threshold == Threshold(2, DatePart.DAY, ConfigLevel.PIPELINE_TYPE)
        assert threshold.used_child_config is False


def test_nothing_to_check_without_a_threshold() -> None:
    assert resolve_threshold(UNSET, UNSET) is None
    assert resolve_threshold(LevelSetting(0, DatePart.DAY), UNSET) is None


@pytest.mark.parametrize(
    ("pipeline", "pipeline_type"),
    [
        (LevelSetting(1, DatePart.HOUR, muted=True), DAY),
        (HOUR, LevelSetting(2, DatePart.DAY, muted=True)),
        (HOUR, LevelSetting(None, None, muted=True)),  # a muted type mutes all its pipelines
    ],
)
def test_a_mute_at_either_level_turns_the_check_off(
    pipeline: LevelSetting, pipeline_type: LevelSetting
) -> None:
    assert resolve_threshold(pipeline, pipeline_type) is None
