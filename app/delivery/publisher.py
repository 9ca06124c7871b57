"""Publishing to the message queue without a Redis round trip in every send.

A send used to PUBLISH its message and wait for Redis's reply before acknowledging; in a
server busy with many rooms that round trip (a pool checkout, two system calls, a wait for
the event loop to come back) was a fifth of the process's time and held every send's ack.
The reply carries nothing the send needs: the message is committed before it is published,
and a publish that fails was only ever logged (receivers fill the gap from the database).

So each process queues what it publishes and one green thread writes the queue to Redis
in pipelines: everything queued while the previous pipeline was on its way goes in the
next one, in queue order (one write and one read for the lot). The sender acknowledges at
once. A pipeline that fails is retried once on a fresh connection, then logged and counted;
the queue is bounded so an unreachable Redis cannot grow it without end (what is dropped is
counted the same way: it is in the database, and clients recover it with ``since``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from .. import green

MAX_PIPELINE = 500  # payloads written in one pipeline
MAX_QUEUED = 20000  # payloads waiting; beyond this a publish is dropped (and counted)


class Publisher:
    """``put(payload)`` queues one message; ``write(payloads)`` sends a pipeline or raises."""

    def __init__(
        self,
        write: Callable[[list[str]], None],
        on_failure: Callable[[int, BaseException], None],
        max_queued: int = MAX_QUEUED,
    ):
        self.write = write
        self.on_failure = on_failure
        self.max_queued = max_queued
        self._queue: deque[str] = deque()
        self._running = False

    def put(self, payload: str) -> None:
        if len(self._queue) >= self.max_queued:
            self.on_failure(1, OverflowError(f"{self.max_queued} publishes already waiting"))
            return
        self._queue.append(payload)
        if not self._running:
            self._running = True
            green.spawn(self._run)

    def _run(self) -> None:
        try:
            while self._queue:
                batch = [self._queue.popleft() for _ in range(min(len(self._queue), MAX_PIPELINE))]
                try:
                    self.write(batch)
                except Exception as exc:  # noqa: BLE001 - redis raises its own hierarchy
                    self.on_failure(len(batch), exc)
        finally:
            # also when this green thread is killed: the next put starts another one
            self._running = False
            if self._queue:
                self._running = True
                green.spawn(self._run)
