"""Short garbage-collector pauses while thousands of sockets are open.

CPython's collector walks every tracked object of its oldest generation in one go. An idle
socket holds about 130 such objects for as long as it stays open, and renews about 15 more
every time a frame arrives (eventlet's reader: a timer, a listener, a message and its
decoders), so at 10,000 sockets full collections walked more than a million objects, 1-4 s
each, and came every few seconds while idle: pauses every socket felt (docs/benchmarks.md,
"Many sockets").

The policy: whatever survives a collection of the young generations is frozen at once
(``gc.freeze()`` from the collector's own callback, when everything left has just been found
alive), so the collections CPython runs walk only what is new. Reference counting still frees
a frozen object the moment nothing refers to it; what freezing keeps is frozen objects that
die in a reference cycle. So the memory the interpreter holds (``sys.getallocatedblocks()``)
is watched against what the open sockets explain: what the process held after its last full
walk with no sockets, plus the blocks per socket measured at the last walk with sockets. Once
it holds a quarter more for its sockets than that, or 50,000 blocks (a few MB) more in all,
everything is unfrozen, collected once and frozen again. A process that only gains sockets
does not walk; one whose sockets close, or whose frozen cycles pile up, does.

``GC_FREEZE=off`` leaves CPython's collector as it comes (docs/operations.md).
"""

from __future__ import annotations

import gc
import logging
import sys
import time
from collections import deque
from collections.abc import Callable

from . import green

log = logging.getLogger("chat.gc")


class Collector:
    """``open_sockets()`` comes from the socket handlers. ``start()`` hooks the collector
    and checks the memory every ``interval`` seconds on a green thread of its own."""

    def __init__(
        self,
        open_sockets: Callable[[], int],
        *,
        interval: float = 5.0,
        growth: float = 0.25,
        slack_blocks: int = 50_000,
        blocks_per_socket: float = 600.0,
        min_gap: float = 30.0,
        peak_window: float = 120.0,
        blocks: Callable[[], int] = sys.getallocatedblocks,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.open_sockets = open_sockets
        self.interval = interval
        self.growth = growth
        self.slack_blocks = slack_blocks
        self.blocks_per_socket = blocks_per_socket  # until a walk with sockets open measures it
        self.min_gap = min_gap
        self.peak_window = peak_window
        self.recent: deque[tuple[float, int]] = deque()  # (when, open sockets) of recent checks
        self.blocks = blocks
        self.clock = clock
        self.base_blocks = blocks()
        self.last_walk = clock()
        self.walks = 0

    def start(self) -> None:
        gc.callbacks.append(self.after_collection)
        green.spawn(self._run)

    def stop(self) -> None:
        if self.after_collection in gc.callbacks:
            gc.callbacks.remove(self.after_collection)

    @staticmethod
    def after_collection(phase: str, info: dict) -> None:
        # a collection of generation 1 or 2 has just ended: what is left in the young
        # generations was just found alive, and it leaves the collector's walk
        if phase == "stop" and info["generation"] >= 1:
            gc.freeze()

    def _run(self) -> None:
        while True:
            green.sleep(self.interval)
            try:
                self.check()
            except Exception as exc:  # noqa: BLE001 - the loop must outlive a surprise
                log.warning("garbage collector policy failed", extra={"error": str(exc)})

    def limit(self) -> float:
        """Blocks beyond which frozen garbage is suspected. The sockets counted are the most
        open at any check of the last ``peak_window`` seconds: while the clients of a
        reconnect storm come back, what their old sockets held is still being released, and
        a walk then (seconds, at 10,000) would stop the very handshakes the storm waits for."""
        peak = max((count for _, count in self.recent), default=0)
        sockets = self.blocks_per_socket * max(peak, self.open_sockets())
        return self.base_blocks + (1 + self.growth) * sockets + self.slack_blocks

    def check(self) -> dict | None:
        """The full walk, when the memory held outgrew the open sockets; None otherwise."""
        now = self.clock()
        self.recent.append((now, self.open_sockets()))
        while self.recent and self.recent[0][0] < now - self.peak_window:
            self.recent.popleft()
        limit = self.limit()
        if self.clock() - self.last_walk < self.min_gap or self.blocks() <= limit:
            return None
        return self.walk()

    def walk(self) -> dict:
        """Everything unfrozen, collected once, and frozen again."""
        before = self.blocks()
        started = time.perf_counter()
        gc.unfreeze()
        collected = gc.collect()
        gc.freeze()
        took = time.perf_counter() - started
        after = self.blocks()
        sockets = self.open_sockets()
        if sockets >= 100:  # enough sockets to measure what one holds
            self.blocks_per_socket = max(0.0, (after - self.base_blocks) / sockets)
        else:
            self.base_blocks = min(self.base_blocks, after) if sockets else after
        self.last_walk = self.clock()
        self.recent.clear()
        self.walks += 1
        report = {
            "collected": collected,
            "ms": round(took * 1000, 1),
            "blocks_before": before,
            "blocks_after": after,
            "sockets_open": sockets,
        }
        log.info("full garbage collection", extra=report)
        return report
