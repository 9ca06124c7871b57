"""Turns for work that a burst can queue for: at most ``size`` at once, the newest waiter
first.

A reconnect storm sends thousands of joins within seconds, more than one process can answer
before the clients' acknowledgement timeouts (10 s in socket.io clients that set one).
Served in order of arrival, every join waits behind all the older ones: once the queue is
longer than the timeout, each join is answered after its client gave up, the client
reconnects and joins again at the back, and the process spends the storm on answers nobody
reads (a storm of 10,000 took 84-92 s and 21,398 join timeouts; one of 1,000, which never
queues that long, 3.2 s). Newest first, a join that arrives is answered while its client
still waits; the ones left at the bottom time out at their clients, which come back as new
arrivals, and the work done is work someone reads (docs/benchmarks.md). Connects wait while
joins wait for a turn (``until_none_waiting``), so a storm is let in no faster than its joins
are answered.

Green threads: ``threading`` is the green one under eventlet and gevent (app/green.py).
"""

from __future__ import annotations

import threading


class Turns:
    """A semaphore whose waiters are admitted newest first (last in, first out)."""

    def __init__(self, size: int):
        self.size = size
        self._free = size
        self._waiting: dict[threading.Event, None] = {}  # in order of arrival
        self._lock = threading.Lock()
        self._none_waiting = threading.Event()
        self._none_waiting.set()

    def acquire(self, timeout: float) -> bool:
        """Take a turn, waiting up to ``timeout`` seconds for one; False when none came."""
        with self._lock:
            if self._free > 0:
                self._free -= 1
                return True
            handed = threading.Event()
            self._waiting[handed] = None
            self._none_waiting.clear()
        if handed.wait(timeout):
            return True
        with self._lock:
            if handed.is_set():  # handed over between the timeout and this lock
                return True
            del self._waiting[handed]
            if not self._waiting:
                self._none_waiting.set()
            return False

    def release(self) -> None:
        """Give the turn back: to the newest waiter, or to the free ones."""
        with self._lock:
            if self._waiting:
                newest, _ = self._waiting.popitem()
                newest.set()
                if not self._waiting:
                    self._none_waiting.set()
            elif self._free < self.size:
                self._free += 1
            else:
                raise ValueError("released more turns than were taken")

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def until_none_waiting(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds until no one waits for a turn; False if someone
        still does."""
        return self._none_waiting.wait(timeout)
