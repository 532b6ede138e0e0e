"""Work that runs beside a load: `with in_background(job) as future: ctx.load(...)`.

For scenarios such as "lifecycle throughput while log cleanup runs": the job runs in a
thread while the block measures, is waited for when the block ends, and its exception (if
any) is raised there, so a broken job never goes unnoticed.
"""

import contextlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


@contextlib.contextmanager
def in_background(job: Callable[[], T]) -> Iterator["Future[T]"]:
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bench-background") as pool:
        future = pool.submit(job)
        yield future
    future.result()
