"""Batch sizes follow the time batches take, within the bounds asked for."""

from watcher_server.maintenance.service import (
    SMALLEST_BATCH_SIZE,
    TARGET_BATCH_SECONDS,
    BatchSizer,
)


def test_batches_start_small_and_double_while_they_are_quick() -> None:
    sizer = BatchSizer(10_000)
    sizes = [sizer.size]
    for _ in range(5):
        sizer.record(0.001)
        sizes.append(sizer.size)
    assert sizes == [SMALLEST_BATCH_SIZE, 2_000, 4_000, 8_000, 10_000, 10_000]


def test_slow_batches_shrink_towards_the_target_time_but_not_below_the_floor() -> None:
    sizer = BatchSizer(10_000)
    for _ in range(4):
        sizer.record(0.001)
    assert sizer.size == 10_000
    sizer.record(TARGET_BATCH_SECONDS * 2)
    assert sizer.size == 5_000
    sizer.record(60.0)
    assert sizer.size == SMALLEST_BATCH_SIZE


def test_a_size_asked_below_the_floor_is_kept_as_it_is() -> None:
    sizer = BatchSizer(3)
    for seconds in (60.0, 0.001):
        sizer.record(seconds)
        assert sizer.size == 3
