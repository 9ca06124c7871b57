"""Deliver each room's messages in sequence order, whatever order they were published in.

Every stored message gets the next number of its room's sequence (``rooms.last_seq``) in the
same statement that inserts it, so sequence order is commit order and id order. Publishing
happens after the commit and outside any lock, so two servers can publish a room's messages
in the wrong order; every process therefore passes what it receives through a ``Reorderer``
before writing to its sockets:

- the next expected number is delivered at once, with any buffered successors;
- a later number waits in a small buffer until the gap is filled;
- a gap that stays open for ``gap_timeout`` seconds (the publish was lost, or the number was
  consumed by a send that turned out to be a duplicate) is filled from the database when the
  message exists, and skipped when it does not, so one lost publish never stalls a room.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger("chat.ordering")

Deliver = Callable[[dict], None]
Fetch = Callable[[str, int], "dict | None"]


@dataclass
class _Room:
    expected: int | None = None
    pending: dict[int, dict] = field(default_factory=dict)
    since: float = 0.0  # when the oldest gap opened


class Reorderer:
    def __init__(self, deliver: Deliver, fetch: Fetch | None = None, gap_timeout: float = 1.0):
        self.deliver = deliver
        self.fetch = fetch
        self.gap_timeout = gap_timeout
        self._rooms: dict[str, _Room] = {}
        self._gapped: set[str] = set()  # rooms with something buffered
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Forget every room's position (after the message queue was lost and came back)."""
        with self._lock:
            self._rooms.clear()
            self._gapped.clear()

    def observe(self, room: str, last_seq: int) -> None:
        """A local socket joined a room whose last number was last_seq: start there if this
        process has not seen the room yet (otherwise its first message would set the start,
        and an earlier one published a moment later would arrive out of order)."""
        with self._lock:
            st = self._rooms.setdefault(room, _Room())
            if st.expected is None:
                st.expected = last_seq + 1

    def push(self, room: str, seq: int, message: dict) -> None:
        ready = []
        with self._lock:
            st = self._rooms.setdefault(room, _Room())
            if st.expected is None or seq == st.expected:
                ready.append(message)
                st.expected = seq + 1
                ready.extend(self._drain(st))
                if not st.pending:
                    self._gapped.discard(room)
            elif seq < st.expected:
                # already skipped past (a very late publish): still deliver, never drop
                ready.append(message)
            else:
                if not st.pending:
                    st.since = time.monotonic()
                    self._gapped.add(room)
                st.pending[seq] = message
            # delivered while holding the lock: two deliveries never overtake each other
            for m in ready:
                self.deliver(m)

    @staticmethod
    def _drain(st: _Room) -> list[dict]:
        out = []
        while st.expected in st.pending:
            out.append(st.pending.pop(st.expected))
            st.expected += 1
        if st.pending:
            st.since = time.monotonic()
        return out

    def waiting(self) -> int:
        with self._lock:
            return sum(len(st.pending) for st in self._rooms.values())

    def close_gaps(self, now: float | None = None) -> int:
        """Fill or skip every gap older than gap_timeout; returns how many numbers were skipped."""
        now = time.monotonic() if now is None else now
        skipped = 0
        with self._lock:
            stale = [r for r in self._gapped if now - self._rooms[r].since >= self.gap_timeout]
        for room in stale:
            st = self._rooms.get(room)
            while st is not None:
                with self._lock:
                    if self._rooms.get(room) is not st or not st.pending:
                        self._gapped.discard(room)
                        break
                    missing = st.expected
                found = None
                if self.fetch is not None:
                    try:
                        found = self.fetch(room, missing)
                    except Exception:  # noqa: BLE001 - skip the number rather than stall the room
                        log.warning("could not fetch a missing message", extra={"room": room, "seq": missing})
                with self._lock:
                    if st.expected != missing:
                        continue  # it arrived meanwhile
                    ready = [found] if found is not None else []
                    skipped += found is None
                    st.expected = missing + 1
                    ready.extend(self._drain(st))
                    for m in ready:
                        self.deliver(m)
                log.info(
                    "closed a sequence gap", extra={"room": room, "seq": missing, "filled": found is not None}
                )
        return skipped
