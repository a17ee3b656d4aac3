"""A per-client token bucket, in memory: each client may send ``requests`` per ``seconds``."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable


class RateLimiter:
    """Allow bursts of ``requests``, refilled evenly over ``seconds``; memory stays bounded."""

    def __init__(
        self,
        requests: int,
        seconds: float,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 100_000,
    ) -> None:
        self.capacity = float(requests)
        self.rate = requests / seconds
        self.clock = clock
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def hit(self, key: str) -> float:
        """Take one request for ``key``: 0 when allowed, else the seconds until one is."""
        now = self.clock()
        tokens, last = self._buckets.pop(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        if tokens >= 1:
            self._buckets[key] = (tokens - 1, now)
            self._trim()
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1 - tokens) / self.rate

    def _trim(self) -> None:
        # The least recently seen clients go first; a forgotten client starts with a full
        # bucket, so a flood of new addresses costs memory only up to max_clients.
        while len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
