"""Slowing down guessing: failed authentications counted per client address."""

import math
import time
from collections import OrderedDict
from collections.abc import Callable

WINDOW_SECONDS = 60.0
# The addresses remembered at most; the least recently failing one is forgotten first.
MAX_CLIENTS = 10_000


class FailureThrottle:
    """Past `limit` failures in a one-minute window, a client is refused until it ends.

    In-process and bounded: with several processes each counts its own failures, which still
    caps guessing at a few per second per process.
    """

    def __init__(
        self,
        limit: int,
        *,
        window_seconds: float = WINDOW_SECONDS,
        max_clients: int = MAX_CLIENTS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self.max_clients = max_clients
        self._monotonic = monotonic
        # address -> [start of its window, failures in it]
        self._failures: OrderedDict[str, list[float]] = OrderedDict()

    @property
    def counting(self) -> bool:
        """Whether any address has failures counted (none: no address can be refused)."""
        return bool(self._failures)

    def retry_after(self, address: str) -> int:
        """Seconds `address` must wait (0: it may try now)."""
        entry = self._failures.get(address)
        if entry is None or entry[1] < self.limit:
            return 0
        left = entry[0] + self.window_seconds - self._monotonic()
        if left <= 0:
            del self._failures[address]
            return 0
        return math.ceil(left)

    def failed(self, address: str) -> None:
        """Count a failed authentication of `address`."""
        now = self._monotonic()
        entry = self._failures.get(address)
        if entry is None or now - entry[0] >= self.window_seconds:
            entry = self._failures[address] = [now, 0]
        entry[1] += 1
        self._failures.move_to_end(address)
        if len(self._failures) > self.max_clients:
            self._failures.popitem(last=False)
