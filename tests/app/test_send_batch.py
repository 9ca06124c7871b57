"""The batched send statement (app/sendbatch.py) on a real PostgreSQL database: numbering,
retried sends and duplicates inside one batch keep the single send's guarantees, in every
room of a batch; and the batcher's green threads under eventlet."""

from __future__ import annotations

from datetime import datetime

import psycopg2
import pytest

from app.storage.sendbatch import SEND_BATCH_PG, batch_params, batch_results, prepare_send_batch
from tests.support.processes import run_module
from tests.support.services import Database
from tests.support.settings import BACKEND

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="the statement is PostgreSQL's")


@pytest.fixture(scope="module")
def pg():
    db = Database().create()
    db.migrate()
    conn = psycopg2.connect(db.url)
    conn.autocommit = True
    prepare_send_batch(conn)
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


def send(conn, room: int | None, batch: list[dict]):
    """One statement; ``room`` for every message that does not name its own."""
    batch = [{"room_id": room, **m} for m in batch]
    cur = conn.cursor()
    cur.execute(SEND_BATCH_PG, batch_params(batch))
    return batch_results(batch, cur.fetchall())


def msg(user: int, body: str, client_id: str | None = None, room: int | None = None) -> dict:
    out = {"user_id": user, "body": body, "client_id": client_id, "created_at": datetime(2026, 1, 1)}
    if room is not None:
        out["room_id"] = room
    return out


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


def test_a_batch_over_several_rooms_numbers_each_room_apart(pg):
    conn, ann, bob = pg
    red, blue = new_room(conn, ann, "batch-red"), new_room(conn, ann, "batch-blue")
    send(conn, red, [msg(ann, "r0")])
    results = send(
        conn,
        None,
        [
            msg(ann, "b1", room=blue),
            msg(bob, "r1", room=red),
            msg(ann, "b2", "dup", room=blue),
            msg(ann, "r2", "dup", room=red),  # same client_id in another room: its own message
            msg(bob, "b3", room=blue),
        ],
    )
    assert [seq for _, seq in results] == [1, 2, 2, 3, 3]
    assert None not in [mid for mid, _ in results]
    cur = conn.cursor()
    for room, bodies, last in ((red, ["r0", "r1", "r2"], 3), (blue, ["b1", "b2", "b3"], 3)):
        cur.execute("SELECT body, seq FROM messages WHERE room_id = %s ORDER BY id", (room,))
        assert cur.fetchall() == [(b, k) for k, b in enumerate(bodies, start=1)]
        cur.execute("SELECT last_seq FROM rooms WHERE id = %s", (room,))
        assert cur.fetchone()[0] == last


def test_statements_over_the_same_rooms_in_parallel_never_deadlock(pg):
    """Three connections send batches over random subsets of the same rooms, in random
    orders, at once: every message is stored with a number of its own, none is refused."""
    import random
    import threading

    conn, ann, _ = pg
    rooms = [new_room(conn, ann, f"batch-lock-{k}") for k in range(8)]
    errors: list[BaseException] = []
    sent = dict.fromkeys(rooms, 0)
    lock = threading.Lock()

    def worker(seed: int):
        rnd = random.Random(seed)
        own = psycopg2.connect(conn.dsn)
        own.autocommit = True
        prepare_send_batch(own)
        try:
            for i in range(80):
                subset = rnd.sample(rooms, rnd.randint(2, len(rooms)))
                send(own, None, [msg(ann, f"{seed}-{i}", room=r) for r in subset])
                with lock:
                    for r in subset:
                        sent[r] += 1
        except BaseException as exc:
            errors.append(exc)
        finally:
            own.close()

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    cur = conn.cursor()
    for room in rooms:
        cur.execute("SELECT seq FROM messages WHERE room_id = %s ORDER BY id", (room,))
        assert [r[0] for r in cur.fetchall()] == list(range(1, sent[room] + 1))  # id order = number order


def test_the_statement_is_planned_for_the_table_it_meets(pg):
    """The send connections prepare the statement when `messages` may be empty; as the table
    grows (before any ANALYZE) the duplicate lookup must stay an index probe. A plan cached
    while the table was empty hashed the whole table in every send."""
    conn, ann, _ = pg
    own = psycopg2.connect(conn.dsn)
    own.autocommit = True
    try:
        room = new_room(conn, ann, "batch-plan")
        prepare_send_batch(own)
        send(own, room, [msg(ann, "first", "p-0")])  # the plan of an (almost) empty table
        cur = conn.cursor()
        cur.execute(
            "INSERT INTO messages (room_id, user_id, body, created_at, client_id, seq)"
            " SELECT %s, %s, 'x', now(), 'g' || g, 100 + g FROM generate_series(1, 50000) g",
            (room, ann),
        )
        own_cur = own.cursor()
        own_cur.execute(
            "EXPLAIN " + SEND_BATCH_PG, batch_params([{"room_id": room, **msg(ann, "later", "p-1")}])
        )
        plan = "\n".join(r[0] for r in own_cur.fetchall())
        assert "Seq Scan on messages" not in plan, plan
        assert "uq_messages_room_user_client" in plan, plan
    finally:
        own.close()


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


def test_a_killed_statement_fails_only_its_own_sends_and_the_room_goes_on():
    """Sends whose flusher died get `unavailable` (not a hang); the room's next send does not
    queue behind the dead one; sends queued behind a killed leader are still stored."""
    assert run_module("tests.support.scripts.killed_flusher").strip() == (
        "[('after', (1, 1)), ('first', (1, 1)), ('follower', (1, 1)), ('leader', 'killed'),"
        " ('second', 'unavailable'), ('third', 'unavailable')] [1, 2, 1, 1, 1]"
    )
