"""Short garbage-collector pauses while thousands of sockets are open.

CPython's collector walks every tracked object of the oldest generation in one go. An idle
socket keeps about 130 such objects (its greenlet, WSGI request, engine.io and Socket.IO
state) for as long as it stays open, so at 10,000 sockets a full collection walked more than
a million objects and stopped the process for 1-4 s, a pause every socket felt
(docs/benchmarks.md, "Many sockets").

The policy: objects that survive a while are moved out of the collector's sight
(``gc.freeze()``), a batch at a time, so the collections CPython runs on its own walk only
what is new. Reference counting still frees frozen objects the moment nothing refers to
them; what freezing keeps alive is frozen objects that die in a reference cycle. Those come
from closed sockets, so once enough sockets have closed since the last full walk
(``turnover`` of those open then, at least ``floor``), everything is unfrozen and collected
once, and what survives is frozen again: one full pause per large turnover of sockets,
instead of one per quarter growth of the heap and at any time while idle.

``GC_FREEZE=off`` leaves CPython's own collector as it is (docs/operations.md).
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable

from . import green

log = logging.getLogger(__name__)


class Collector:
    """``open_sockets()`` and ``closed_sockets()`` (a running total) come from the socket
    handlers; ``tick()`` runs every ``interval`` seconds on a green thread of its own."""

    def __init__(
        self,
        open_sockets: Callable[[], int],
        closed_sockets: Callable[[], int],
        *,
        interval: float = 2.0,
        batch: int = 5_000,
        turnover: float = 0.25,
        floor: int = 2_000,
    ):
        self.open_sockets = open_sockets
        self.closed_sockets = closed_sockets
        self.interval = interval
        self.batch = batch
        self.turnover = turnover
        self.floor = floor
        self.closed_at_walk = closed_sockets()
        self.open_at_walk = open_sockets()
        self.frozen_since_walk = 0
        self.freezes = 0
        self.walks = 0

    def start(self) -> None:
        green.spawn(self._run)

    def _run(self) -> None:
        while True:
            green.sleep(self.interval)
            try:
                self.tick()
            except Exception as exc:  # noqa: BLE001 - the loop must outlive a surprise
                log.warning("garbage collector policy failed", extra={"error": str(exc)})

    def tick(self) -> str | None:
        """One step: ``"walk"``, ``"freeze"`` or ``None`` (nothing to do)."""
        closed = self.closed_sockets() - self.closed_at_walk
        if self.frozen_since_walk and closed >= max(self.floor, self.turnover * self.open_at_walk):
            self.walk()
            return "walk"
        young = len(gc.get_objects(2))  # not frozen: cheap, since the rest is
        if young >= self.batch:
            gc.collect()  # walks only what is not frozen: the garbage is not frozen with the rest
            gc.freeze()
            self.frozen_since_walk += young
            self.freezes += 1
            return "freeze"
        return None

    def walk(self) -> dict:
        """Everything unfrozen, collected once, and frozen again."""
        started = time.perf_counter()
        gc.unfreeze()
        collected = gc.collect()
        gc.freeze()
        took = time.perf_counter() - started
        report = {
            "collected": collected,
            "ms": round(took * 1000, 1),
            "sockets_closed": self.closed_sockets() - self.closed_at_walk,
            "sockets_open": self.open_sockets(),
        }
        self.closed_at_walk = self.closed_sockets()
        self.open_at_walk = self.open_sockets()
        self.frozen_since_walk = 0
        self.walks += 1
        log.info("full garbage collection", extra=report)
        return report
