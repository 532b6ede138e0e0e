"""Cron arithmetic, without a database."""

from datetime import UTC, datetime

from watcher_server.jobs.schedule import latest_fire, next_fire

T = datetime(2026, 3, 1, 12, 15, tzinfo=UTC)


def test_latest_fire_includes_now() -> None:
    assert latest_fire("*/15 * * * *", T) == T
    assert latest_fire("*/15 * * * *", T.replace(second=59)) == T
    assert latest_fire("*/15 * * * *", T.replace(minute=14)) == T.replace(minute=0)
    assert latest_fire("0 * * * *", T) == T.replace(minute=0)


def test_next_fire_is_strictly_later() -> None:
    assert next_fire("*/15 * * * *", T) == T.replace(minute=30)
    assert next_fire("0 0 1 * *", T) == datetime(2026, 4, 1, tzinfo=UTC)
