"""Group commit: a room's sends that arrive together in one process share one statement.

Every send takes its room's next sequence number in the statement that stores it, so the
sends into one room queue for that room's row lock, one commit after the other. In a busy
room that queue, not the CPU, set the ceiling (and on a loaded machine a backend holding
the lock while descheduled held up every other). Here each process keeps, per room, at most
one statement in flight: sends that arrive meanwhile wait and go together in the next one,
numbered in arrival order. An idle room pays nothing (a batch of one goes at once); a busy
one takes the lock once per batch instead of once per message.

The statement keeps the single send's guarantees: a retried send (same user and
``client_id``) that is stored already is not stored again and gets no number; one that
loses a race to its duplicate gets a number that is burnt (published as a gap).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from . import green
from .errors import ChatError

log = logging.getLogger("chat.sendbatch")

MAX_BATCH = 100  # sends in one statement

SEND_BATCH_PG = """
WITH v AS (
  SELECT * FROM unnest(
    %(user_ids)s::bigint[], %(bodies)s::text[], %(client_ids)s::varchar[], %(created)s::timestamp[]
  ) WITH ORDINALITY AS v(user_id, body, client_id, created_at, ord)
), fresh AS (
  SELECT v.*, row_number() OVER (ORDER BY v.ord) AS k FROM v
  WHERE v.client_id IS NULL OR NOT EXISTS (
    SELECT 1 FROM messages m
    WHERE m.room_id = %(room_id)s AND m.user_id = v.user_id AND m.client_id = v.client_id)
), s AS (
  UPDATE rooms SET last_seq = last_seq + (SELECT count(*) FROM fresh)
  WHERE id = %(room_id)s
  RETURNING last_seq - (SELECT count(*) FROM fresh) AS base
), ins AS (
  INSERT INTO messages (room_id, user_id, body, created_at, client_id, attachment_key, seq)
  SELECT %(room_id)s, f.user_id, f.body, f.created_at, f.client_id, NULL, s.base + f.k
  FROM fresh f CROSS JOIN s
  ORDER BY f.k
  ON CONFLICT DO NOTHING
  RETURNING id, seq
)
SELECT f.ord, ins.id, s.base + f.k AS seq
FROM fresh f CROSS JOIN s LEFT JOIN ins ON ins.seq = s.base + f.k
"""


def batch_params(room_id: int, batch: list[dict]) -> dict:
    return {
        "room_id": room_id,
        "user_ids": [v["user_id"] for v in batch],
        "bodies": [v["body"] for v in batch],
        "client_ids": [v["client_id"] for v in batch],
        "created": [v["created_at"] for v in batch],
    }


def batch_results(batch: list[dict], rows) -> list[tuple[int | None, int | None]]:
    """(id, seq) per send, in order: (None, None) stored before; (None, seq) number burnt."""
    out: list[tuple[int | None, int | None]] = [(None, None)] * len(batch)
    for ord_, mid, seq in rows:
        out[ord_ - 1] = (mid, seq)
    return out


class _Pending:
    __slots__ = ("done", "error", "result", "values")

    def __init__(self, values: dict):
        self.values = values
        self.done = threading.Event()
        self.result: tuple[int | None, int | None] = (None, None)
        self.error: BaseException | None = None


class SendBatcher:
    """``submit(values)`` -> (id, seq); ``run(room_id, batch)`` executes one statement."""

    def __init__(self, run: Callable[[int, list[dict]], list], deadline: float):
        self.run = run
        self.deadline = deadline
        # room -> sends waiting for the next statement; a key exists while a flusher runs
        self._queues: dict[int, list[_Pending]] = {}

    def submit(self, values: dict) -> tuple[int | None, int | None]:
        if not green.cooperative():
            return self.run(values["room_id"], [values])[0]
        pending = _Pending(values)
        room = values["room_id"]
        queue = self._queues.get(room)
        if queue is None:
            self._queues[room] = [pending]
            green.spawn(self._flush, room)
        else:
            queue.append(pending)
        pending.done.wait()
        if pending.error is not None:
            raise pending.error
        return pending.result

    def _flush(self, room: int) -> None:
        running: list[_Pending] = []  # the batch whose statement is under way
        try:
            self._drain(room, running)
        finally:
            # only reached with sends left when the flusher died of something other than
            # an error of its statement (it was killed): fail them, and let the next send
            # start a new flusher instead of queueing behind a dead one
            for p in running + (self._queues.pop(room, None) or []):
                if not p.done.is_set():
                    p.error = ChatError("unavailable", "the message may not be stored; try again")
                    p.done.set()

    def _drain(self, room: int, running: list[_Pending]) -> None:
        while True:
            queue = self._queues.get(room)
            if not queue:
                return  # _flush removes the room's (empty) queue
            batch, self._queues[room] = queue[:MAX_BATCH], queue[MAX_BATCH:]
            running[:] = batch
            try:
                with green.deadline(self.deadline):
                    results = self.run(room, [p.values for p in batch])
            except Exception as exc:  # noqa: BLE001 - every waiter gets the statement's error
                for p in batch:
                    p.error = exc
                    p.done.set()
                continue
            for p, result in zip(batch, results, strict=True):
                p.result = result
                p.done.set()
