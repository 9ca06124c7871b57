"""Group commit: the sends that arrive together in one process share one statement.

Every send takes its room's next sequence number in the statement that stores it, and
commits before it is acknowledged. One statement and one commit per message made the
database round trip the ceiling of a busy server: in the one-room fan-out the sends queued
for the room's row lock, and with many rooms the statements queued for connections (each
waiting on a busy machine for PostgreSQL's backend, its WAL flush and this process's event
loop to get their turn), while the same service with its database writes switched off went
three times as far.

So each process keeps at most ``max_in_flight`` send statements in flight. A send that
finds one free runs its statement at once, in its own green thread (an idle server pays
nothing); sends that arrive while all are busy wait, and go together in the next statement,
whatever their rooms, numbered per room in arrival order. The busier the server, the bigger
the batches: one round trip and one commit for many messages.

The statement keeps the single send's guarantees: a retried send (same user and
``client_id``) that is stored already is not stored again and gets no number; one that
loses a race to its duplicate gets a number that is burnt (published as a gap). It locks the
rooms it numbers in id order, so two statements (of this process or another) touching the
same rooms wait for each other and never deadlock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from .. import green
from ..errors import ChatError

MAX_BATCH = 200  # sends in one statement
MAX_IN_FLIGHT = 2  # send statements one process runs at a time

# Prepared once per connection of the send engine (``prepare_send_batch``), which saves its
# parse and rewrite; it is still planned at every execution (force_custom_plan). A generic
# plan (no planning per call) was tried and measured: made while `messages` was small, it
# looked duplicates up by hashing the whole table, and kept doing so as the table grew until
# the next ANALYZE - 69 ms a statement at 200,000 rows instead of under 1 ms.
PREPARE_SEND_BATCH_PG = """
PREPARE chat_send_batch(bigint[], bigint[], text[], varchar[], timestamp[]) AS
WITH v AS (
  SELECT * FROM unnest($1, $2, $3, $4, $5)
    WITH ORDINALITY AS v(room_id, user_id, body, client_id, created_at, ord)
), fresh AS (
  SELECT v.*, row_number() OVER (PARTITION BY v.room_id ORDER BY v.ord) AS k FROM v
  WHERE v.client_id IS NULL OR NOT EXISTS (
    SELECT 1 FROM messages m
    WHERE m.room_id = v.room_id AND m.user_id = v.user_id AND m.client_id = v.client_id)
), n AS (
  SELECT room_id, count(*) AS n FROM fresh GROUP BY room_id
), locked AS (
  SELECT r.id FROM rooms r WHERE r.id IN (SELECT room_id FROM n) ORDER BY r.id FOR UPDATE
), s AS (
  UPDATE rooms SET last_seq = rooms.last_seq + n.n
  FROM n
  WHERE rooms.id = n.room_id AND rooms.id IN (SELECT id FROM locked)
  RETURNING rooms.id AS room_id, rooms.last_seq - n.n AS base
), ins AS (
  INSERT INTO messages (room_id, user_id, body, created_at, client_id, attachment_key, seq)
  SELECT f.room_id, f.user_id, f.body, f.created_at, f.client_id, NULL, s.base + f.k
  FROM fresh f JOIN s ON s.room_id = f.room_id
  ORDER BY f.room_id, f.k
  ON CONFLICT DO NOTHING
  RETURNING id, room_id, seq
)
SELECT f.ord, ins.id, s.base + f.k AS seq
FROM fresh f
JOIN s ON s.room_id = f.room_id
LEFT JOIN ins ON ins.room_id = f.room_id AND ins.seq = s.base + f.k
"""

SEND_BATCH_PG = "EXECUTE chat_send_batch(%(room_ids)s, %(user_ids)s, %(bodies)s, %(client_ids)s, %(created)s)"


def prepare_send_batch(dbapi_conn) -> None:
    """Prepare the send statement on a new psycopg2 connection (an engine ``connect`` hook)."""
    cur = dbapi_conn.cursor()
    try:
        # planned with the table's size at every call (see PREPARE_SEND_BATCH_PG)
        cur.execute("SET plan_cache_mode = force_custom_plan")
        cur.execute(PREPARE_SEND_BATCH_PG)
    finally:
        cur.close()
    if not dbapi_conn.autocommit:
        dbapi_conn.commit()


def batch_params(batch: list[dict]) -> dict:
    return {
        "room_ids": [v["room_id"] for v in batch],
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
    """``submit(values)`` -> (id, seq); ``run(batch)`` executes one statement."""

    def __init__(
        self, run: Callable[[list[dict]], list], deadline: float, max_in_flight: int = MAX_IN_FLIGHT
    ):
        self.run = run
        self.deadline = deadline
        self.max_in_flight = max_in_flight
        self._queue: list[_Pending] = []  # sends waiting for a statement
        self._in_flight = 0

    def submit(self, values: dict) -> tuple[int | None, int | None]:
        if not green.cooperative():
            return self.run([values])[0]
        if self._in_flight < self.max_in_flight and not self._queue:
            return self._lead(values)
        pending = _Pending(values)
        self._queue.append(pending)
        pending.done.wait()
        if pending.error is not None:
            raise pending.error
        return pending.result

    def _lead(self, values: dict) -> tuple[int | None, int | None]:
        """A statement is free: this send's runs at once, in its own green thread (no
        hand-over to a flusher and back)."""
        self._in_flight += 1
        try:
            with green.deadline(self.deadline):
                return self.run([values])[0]
        finally:
            self._done()

    def _done(self) -> None:
        """A statement finished (whatever became of it): the waiting sends take its place."""
        self._in_flight -= 1
        while self._queue and self._in_flight < self.max_in_flight:
            self._in_flight += 1
            green.spawn(self._flush)

    def _flush(self) -> None:
        # the batch is taken when the flusher starts: what queued since its spawn goes too
        batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
        try:
            if batch:
                with green.deadline(self.deadline):
                    results = self.run([p.values for p in batch])
                for p, result in zip(batch, results, strict=True):
                    p.result = result
                    p.done.set()
        except Exception as exc:  # noqa: BLE001 - every waiter gets the statement's error
            for p in batch:
                p.error = exc
                p.done.set()
        finally:
            # sends still waiting here: the flusher was killed (not a statement error)
            for p in batch:
                if not p.done.is_set():
                    p.error = ChatError("unavailable", "the message may not be stored; try again")
                    p.done.set()
            self._done()
