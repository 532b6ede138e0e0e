"""How a batch's baselines are split into statements (few shapes, few round trips)."""

from datetime import UTC, datetime

from watcher_server.anomalies.repository import CHUNK_SIZES, BaselineRequest, _chunks
from watcher_server.anomalies.windows import baseline_window


def requests(count: int, seasonality: str) -> list[BaselineRequest]:
    window = baseline_window(seasonality, datetime(2026, 3, 18, tzinfo=UTC), 30)
    return [BaselineRequest(pipeline_id, pipeline_id, window) for pipeline_id in range(count)]


def test_every_request_once_in_chunks_of_one_seasonality_and_known_sizes() -> None:
    mixed = requests(25, "none") + requests(6, "hour_of_day") + requests(1, "day_of_week")
    chunks = _chunks(mixed)
    assert [len(chunk) for chunk in chunks] == [16, 4, 4, 1, 4, 1, 1, 1]
    assert all(len(chunk) in CHUNK_SIZES for chunk in chunks)
    assert all(len({r.window.seasonality for r in chunk}) == 1 for chunk in chunks)
    assert sorted(id(r) for chunk in chunks for r in chunk) == sorted(id(r) for r in mixed)


def test_nothing_to_read() -> None:
    assert _chunks([]) == []
