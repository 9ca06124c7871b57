"""Deliver each room's messages once, in sequence order, whatever order they were published in.

Every stored message gets the next number of its room's sequence (``rooms.last_seq``) in the
same statement that inserts it, so sequence order is commit order and id order. Publishing
happens after the commit and outside any lock, so two servers can publish a room's messages
in the wrong order; every process therefore passes what it receives through a ``Reorderer``
before writing to its sockets:

- the next expected number is delivered at once, with any buffered successors;
- a later number waits in a small buffer until the gap is filled;
- a gap that stays open for ``gap_timeout`` seconds (the publish was lost with its process,
  or the number was consumed by a send that turned out to be a duplicate) is filled from the
  database when the message exists, and skipped when it does not, so a lost publish never
  stalls a room;
- an earlier number (already passed) is never delivered again, unless it was skipped only
  because the database could not be read for ``give_up_after`` seconds.

Joining is gated per socket, so that history and live delivery neither overlap nor leave a
hole: from ``begin_join`` (before the socket enters the room) to ``end_join`` (after its join
ack was queued) the socket's live messages are held back; ``end_join`` gets the room's number
``last_seq`` that the history was read at, hands back the held messages past it, and from then
on the socket is skipped for the numbers up to ``last_seq``, which its history already had.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger("chat.ordering")

# deliver(item, seq, skip_sids): write one message to the room's sockets except skip_sids
Deliver = Callable[[object, int, list[str]], None]
Fetch = Callable[[str, int], object]
SKIPPED_KEPT = 1000  # skipped numbers remembered per room, in case their publish comes late


@dataclass
class _Joiner:
    floor: int | None = None  # None while the join is under way: hold everything back
    held: list[tuple[int, object]] = field(default_factory=list)


@dataclass
class _Room:
    expected: int | None = None
    pending: dict[int, object] = field(default_factory=dict)
    since: float = 0.0  # when the oldest open gap opened
    skipped: set[int] = field(default_factory=set)
    joiners: dict[str, _Joiner] = field(default_factory=dict)


class Reorderer:
    def __init__(
        self,
        deliver: Deliver,
        fetch: Fetch | None = None,
        gap_timeout: float = 1.0,
        give_up_after: float = 15.0,
    ):
        self.deliver = deliver
        self.fetch = fetch
        self.gap_timeout = gap_timeout
        # a gap whose message cannot be read (database down) is skipped only after this long
        self.give_up_after = give_up_after
        self._rooms: dict[str, _Room] = {}
        self._gapped: set[str] = set()  # rooms with something buffered
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Forget every room's position (after the message queue was lost and came back)."""
        with self._lock:
            self._rooms.clear()
            self._gapped.clear()

    # ------------------------------------------------------------------ joins
    def begin_join(self, room: str, sid: str) -> None:
        with self._lock:
            self._rooms.setdefault(room, _Room()).joiners[sid] = _Joiner()

    def end_join(self, room: str, sid: str, last_seq: int, send_to_sid: Callable[[object], None]) -> None:
        """The socket's history went up to last_seq: send it what was held past that, in order."""
        with self._lock:
            st = self._rooms.setdefault(room, _Room())
            if st.expected is None:
                st.expected = last_seq + 1
            joiner = st.joiners.get(sid)
            if joiner is None:
                return
            for seq, item in sorted(joiner.held, key=lambda x: x[0]):
                if seq > last_seq and item is not None:
                    send_to_sid(item)
            joiner.held = []
            joiner.floor = last_seq
            if st.expected > last_seq:
                del st.joiners[sid]  # nothing up to last_seq can arrive any more

    def forget_socket(self, room: str, sid: str) -> None:
        with self._lock:
            st = self._rooms.get(room)
            if st is not None:
                st.joiners.pop(sid, None)

    # ------------------------------------------------------------------ delivery
    def push(self, room: str, seq: int, item) -> None:
        with self._lock:
            st = self._rooms.setdefault(room, _Room())
            if st.expected is None or seq == st.expected:
                st.expected = seq
                self._deliver_run(room, st, seq, item)
            elif seq < st.expected:
                if seq in st.skipped:  # its publish came after the gap was given up
                    st.skipped.discard(seq)
                    self._send(st, seq, item)
                # else: delivered already (a re-publish of a retried send): never twice
            else:
                if not st.pending:
                    st.since = time.monotonic()
                    self._gapped.add(room)
                st.pending[seq] = item

    def _deliver_run(self, room: str, st: _Room, seq: int, item) -> None:
        """Deliver seq (== expected) and the buffered run after it; caller holds the lock."""
        self._send(st, seq, item)
        st.expected = seq + 1
        while st.expected in st.pending:
            nxt = st.expected
            self._send(st, nxt, st.pending.pop(nxt))
            st.expected = nxt + 1
        if st.pending:
            st.since = time.monotonic()
        else:
            self._gapped.discard(room)

    def _send(self, st: _Room, seq: int, item) -> None:
        skip = []
        if st.joiners:
            for sid, joiner in list(st.joiners.items()):
                if joiner.floor is None:
                    joiner.held.append((seq, item))
                    skip.append(sid)
                elif seq <= joiner.floor:
                    skip.append(sid)
                else:
                    del st.joiners[sid]  # past its history: an ordinary member now
        if item is not None:
            self.deliver(item, seq, skip)

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
                unknown = False  # the database could not tell whether the message exists
                if self.fetch is not None:
                    try:
                        found = self.fetch(room, missing)
                    except Exception:  # noqa: BLE001 - the database may be down: retry, then skip
                        if time.monotonic() - st.since < self.give_up_after:
                            log.warning(
                                "missing message not fetched yet", extra={"room": room, "seq": missing}
                            )
                            break  # keep the gap open; the next round tries again
                        log.error("giving up a missing message", extra={"room": room, "seq": missing})
                        unknown = True
                with self._lock:
                    if st.expected != missing:
                        continue  # it arrived meanwhile
                    if found is None:
                        skipped += 1
                        if unknown:  # should its publish still come, it is delivered late
                            st.skipped.add(missing)
                            if len(st.skipped) > SKIPPED_KEPT:
                                st.skipped.discard(min(st.skipped))
                        st.expected = missing + 1
                        if st.expected in st.pending:
                            self._deliver_run(room, st, st.expected, st.pending.pop(st.expected))
                    else:
                        self._deliver_run(room, st, missing, found)
                log.info(
                    "closed a sequence gap", extra={"room": room, "seq": missing, "filled": found is not None}
                )
        return skipped
