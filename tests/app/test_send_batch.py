"""The batched send statement (app/sendbatch.py) on a real PostgreSQL database: numbering,
retried sends and duplicates inside one batch keep the single send's guarantees."""

from __future__ import annotations

from datetime import datetime

import psycopg2
import pytest

from app.sendbatch import SEND_BATCH_PG, batch_params, batch_results
from tests.chatlib import BACKEND, Database

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="the statement is PostgreSQL's")


@pytest.fixture(scope="module")
def pg():
    db = Database()
    db.migrate()
    conn = psycopg2.connect(db.url)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute(
        "INSERT INTO users (username, username_key, password_hash, created_at) VALUES"
        " ('ann', 'ann', 'x', now()), ('bob', 'bob', 'x', now()) RETURNING id"
    )
    ann, bob = (r[0] for r in cur.fetchall())
    yield conn, ann, bob
    conn.close()
    db.drop()


def new_room(conn, owner: int, name: str) -> int:
    cur = conn.cursor()
    cur.execute(
        "INSERT INTO rooms (name, private, owner_id, created_at) VALUES (%s, false, %s, now()) RETURNING id",
        (name, owner),
    )
    return cur.fetchone()[0]


def send(conn, room: int, batch: list[dict]):
    cur = conn.cursor()
    cur.execute(SEND_BATCH_PG, batch_params(room, batch))
    return batch_results(batch, cur.fetchall())


def msg(user: int, body: str, client_id: str | None = None) -> dict:
    return {"user_id": user, "body": body, "client_id": client_id, "created_at": datetime(2026, 1, 1)}


def test_a_batch_takes_consecutive_numbers_in_arrival_order(pg):
    conn, ann, bob = pg
    room = new_room(conn, ann, "batch-order")
    first = send(conn, room, [msg(ann, "a"), msg(bob, "b"), msg(ann, "c")])
    second = send(conn, room, [msg(bob, "d")])
    assert [s for _, s in first + second] == [1, 2, 3, 4]
    ids = [i for i, _ in first + second]
    assert ids == sorted(ids) and None not in ids  # id order is sequence order
    cur = conn.cursor()
    cur.execute("SELECT body, seq FROM messages WHERE room_id = %s ORDER BY id", (room,))
    assert cur.fetchall() == [("a", 1), ("b", 2), ("c", 3), ("d", 4)]
    cur.execute("SELECT last_seq FROM rooms WHERE id = %s", (room,))
    assert cur.fetchone()[0] == 4


def test_retries_and_duplicates_inside_a_batch(pg):
    conn, ann, bob = pg
    room = new_room(conn, ann, "batch-dupes")
    (stored,) = send(conn, room, [msg(ann, "once", "c-1")])
    results = send(
        conn,
        room,
        [
            msg(ann, "once (retried)", "c-1"),  # stored before: no number
            msg(bob, "fresh", "c-1"),  # same client_id, other user: a different message
            msg(ann, "twin", "c-2"),
            msg(ann, "twin (retried at once)", "c-2"),  # loses to its twin: number burnt
        ],
    )
    assert stored == (stored[0], 1)
    assert results[0] == (None, None)
    assert results[1][0] is not None and results[1][1] == 2
    assert results[2][0] is not None and results[2][1] == 3
    assert results[3] == (None, 4)
    cur = conn.cursor()
    cur.execute("SELECT body FROM messages WHERE room_id = %s ORDER BY seq", (room,))
    assert [r[0] for r in cur.fetchall()] == ["once", "fresh", "twin"]
    cur.execute("SELECT last_seq FROM rooms WHERE id = %s", (room,))
    assert cur.fetchone()[0] == 4  # the burnt number is taken: receivers see it as a gap


def test_a_batch_of_retries_only_takes_no_number(pg):
    conn, ann, _ = pg
    room = new_room(conn, ann, "batch-retries")
    send(conn, room, [msg(ann, "x", "r-1")])
    assert send(conn, room, [msg(ann, "x", "r-1"), msg(ann, "x", "r-1")]) == [(None, None), (None, None)]
    cur = conn.cursor()
    cur.execute("SELECT last_seq FROM rooms WHERE id = %s", (room,))
    assert cur.fetchone()[0] == 1


KILLED_FLUSHER_SCRIPT = r"""
from app import green
green.patch("eventlet")
import greenlet
from app.errors import ChatError
from app.sendbatch import SendBatcher

calls = []

def run(room, batch):
    calls.append(len(batch))
    if len(calls) == 1:
        raise greenlet.GreenletExit()  # the flusher is killed mid-statement
    return [(k, k) for k in range(1, len(batch) + 1)]

batcher = SendBatcher(run, 5.0)
out = []
try:
    with green.deadline(2.0):
        batcher.submit({"room_id": 7})
except ChatError as exc:
    out.append(exc.code)
with green.deadline(2.0):
    out.append(batcher.submit({"room_id": 7}))
print(out)
"""


def test_a_killed_flusher_fails_its_sends_and_the_room_goes_on():
    """A send whose flusher died gets `unavailable` (not a hang), and the room's next send
    starts a new flusher instead of queueing behind the dead one."""
    import subprocess
    import sys

    from tests.chatlib import ROOT

    done = subprocess.run(
        [sys.executable, "-c", KILLED_FLUSHER_SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['unavailable', (1, 1)]"
