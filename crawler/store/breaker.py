"""A circuit breaker for the store's writes: after a failure, stop asking the database for a while.

While the database is down every write would wait for it (a MongoDB server selection takes
seconds) and block whatever thread makes it, the crawl's reactor included. The breaker opens on
a failure: for ``cooldown`` seconds writes go straight to the journal without touching the
database. Then one write tries again (half-open): success closes the breaker, another failure
opens it for twice as long, up to ``max_cooldown``. Nothing here sleeps.

Thread-safe, so a pool of writer threads can share one store.
"""

from __future__ import annotations

import threading
import time


class Breaker:
    def __init__(self, cooldown: float = 2.0, max_cooldown: float = 60.0, clock=time.monotonic):
        self.cooldown, self.max_cooldown, self.clock = cooldown, max_cooldown, clock
        self._lock = threading.Lock()
        self._until = 0.0
        self._next = cooldown
        #: Why the breaker opened last (the database's error), or None while closed.
        self.reason: str | None = None

    @property
    def is_open(self) -> bool:
        """True while writes must skip the database. After the cooldown one caller gets False
        (the trial write) and the others keep skipping until it reports back."""
        if self.reason is None:  # the common case, without the lock
            return False
        with self._lock:
            if self.reason is None:
                return False
            now = self.clock()
            if now < self._until:
                return True
            # Half-open: let this one caller try, hold the others for another cooldown.
            self._until = now + self._next
            return False

    def failed(self, reason: str) -> float:
        """Open (again) after a failed write; returns the seconds it stays open."""
        with self._lock:
            wait = self._next
            self._until = self.clock() + wait
            self._next = min(wait * 2, self.max_cooldown)
            self.reason = reason
            return wait

    def succeeded(self) -> None:
        with self._lock:
            self.reason = None
            self._next = self.cooldown
            self._until = 0.0
