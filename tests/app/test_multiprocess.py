"""Two `serve` processes sharing PostgreSQL and Redis (skipped on the embedded default)."""

import threading
import time
import uuid

import pytest

from tests.support.client import Api, SioClient, register
from tests.support.settings import BACKEND

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="several processes need PostgreSQL and Redis")


@pytest.fixture(scope="module")
def pair(stack):
    """Two more processes on the run's database and Redis (short presence timeouts)."""
    one = stack.server(PRESENCE_TTL=3, PRESENCE_HEARTBEAT=1)
    two = stack.server(PRESENCE_TTL=3, PRESENCE_HEARTBEAT=1)
    yield one, two
    one.close()
    two.close()


@pytest.fixture
def clients():
    made = []

    def make(url, token):
        c = SioClient(url, token)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


def new_room(url, token, private=False):
    name = f"mp-{uuid.uuid4().hex[:10]}"
    r = Api(url, token).post("/api/rooms", {"name": name, "private": private})
    assert r.status_code == 201, r.text
    return name


def test_messages_from_both_processes_reach_every_socket_exactly_once_in_id_order(pair, clients):
    one, two = pair
    users = [register(one.url) for _ in range(4)]
    room = new_room(one.url, users[0][1])
    # two sockets on each process, each user sending concurrently through its own process
    socks = [clients(srv.url, tok) for (_, tok), srv in zip(users, (one, two, one, two), strict=True)]
    for s in socks:
        assert s.call("join", {"room": room})["ok"]
    per_sender = 100
    acked: list[int] = []
    lock = threading.Lock()

    def on_ack(ack):
        assert ack["ok"], ack
        with lock:
            acked.append(ack["message"]["id"])

    # every socket fires its sends back to back, so both processes insert and publish at once
    for i in range(per_sender):
        for n, s in enumerate(socks):
            s.sio.emit("send", {"room": room, "body": f"s{n}-{i}", "client_id": f"s{n}-{i}"}, callback=on_ack)
    deadline = time.monotonic() + 60
    while len(acked) < per_sender * len(socks) and time.monotonic() < deadline:
        time.sleep(0.05)
    total = per_sender * len(socks)
    assert len(acked) == total
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(len(s.received("message")) < total for s in socks):
        time.sleep(0.1)
    for s in socks:
        ids = [m["id"] for m in s.received("message")]
        assert len(ids) == total, f"{len(ids)} of {total}"
        assert len(set(ids)) == total, "a message arrived twice"
        assert ids == sorted(ids), "a socket saw a room's messages out of id order"
        assert set(ids) == set(acked)


def test_reconnect_with_since_to_the_other_process_returns_exactly_what_was_missed(pair, clients):
    one, two = pair
    (_, atok), (_, btok) = register(one.url), register(one.url)
    room = new_room(one.url, atok)
    a = clients(one.url, atok)
    b = clients(two.url, btok)
    a.call("join", {"room": room})
    b.call("join", {"room": room})
    last = a.call("send", {"room": room, "body": "seen"})["message"]["id"]
    b.wait_for("message", lambda m: m["id"] == last)
    b.close()
    missed = [a.call("send", {"room": room, "body": f"missed {i}"})["message"]["id"] for i in range(8)]
    b2 = clients(one.url, btok)  # back on the other process
    ack = b2.call("join", {"room": room, "since": last})
    assert [m["id"] for m in ack["messages"]] == missed
    after = a.call("send", {"room": room, "body": "live again"})["message"]["id"]
    assert b2.wait_for("message")["id"] == after


def test_client_id_sent_to_both_processes_at_once_stores_one_message(pair, clients, stack):
    one, two = pair
    user, tok = register(one.url)
    room = new_room(one.url, tok)
    a1 = clients(one.url, tok)
    a2 = clients(two.url, tok)
    a1.call("join", {"room": room})
    a2.call("join", {"room": room})
    for attempt in range(10):
        cid = f"dup-{attempt}"
        results = []
        barrier = threading.Barrier(2)

        def go(sock, cid=cid, results=results, barrier=barrier):
            barrier.wait()
            results.append(sock.call("send", {"room": room, "body": "only once", "client_id": cid}))

        ts = [threading.Thread(target=go, args=(s,)) for s in (a1, a2)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(30)
        assert all(r["ok"] for r in results), results
        assert results[0]["message"] == results[1]["message"]
        assert (
            stack.db.scalar(
                "SELECT count(*) FROM messages WHERE user_id = :u AND client_id = :c", u=user["id"], c=cid
            )
            == 1
        )
    time.sleep(0.5)
    for s in (a1, a2):
        ids = [m["id"] for m in s.received("message")]
        assert len(ids) == len(set(ids)) == 10


def test_logout_disconnects_sockets_on_every_process(pair, clients):
    one, two = pair
    user, tok = register(one.url)
    s1 = clients(one.url, tok)
    s2 = clients(two.url, tok)
    assert Api(two.url, tok).post("/api/logout").status_code == 204
    assert s1.disconnected.wait(5) and s2.disconnected.wait(5)
    assert Api(one.url, tok).get("/api/me").status_code == 401


def test_presence_of_a_process_killed_without_goodbye_expires(stack, clients):
    # short timeouts so the test takes seconds; the default bound is 30 s + 10 s
    victim = stack.server(PRESENCE_TTL=3, PRESENCE_HEARTBEAT=1)
    survivor = stack.server(PRESENCE_TTL=3, PRESENCE_HEARTBEAT=1)
    (_, atok), (bob, btok) = register(survivor.url), register(survivor.url)
    room = new_room(survivor.url, atok)
    a = clients(survivor.url, atok)
    a.call("join", {"room": room})
    b = SioClient(victim.url, btok)
    assert b.call("join", {"room": room})["ok"]
    a.wait_for("presence", lambda d: d["status"] == "online")
    started = time.monotonic()
    victim.kill9()
    ev = a.wait_for("presence", lambda d: d["status"] == "offline", timeout=15)
    assert ev == {"room": room, "user": bob["username"], "status": "offline"}
    assert time.monotonic() - started < 3 + 1 + 3  # ttl + heartbeat + slack
    assert bob["username"] not in a.call("join", {"room": room})["online"]
    survivor.close()
    victim.close()


def test_a_stalled_database_call_does_not_stall_other_sockets(server, stack, clients):
    """psycopg2 waits cooperatively: a send stuck on the database leaves the hub free."""
    (_, tok) = register(server.url)
    stuck_room, free_room = new_room(server.url, tok), new_room(server.url, tok)
    stuck_id = stack.db.scalar("SELECT id FROM rooms WHERE name = :n", n=stuck_room)
    a = clients(server.url, tok)
    b = clients(server.url, tok)
    a.call("join", {"room": stuck_room})
    b.call("join", {"room": free_room})
    blocker = stack.db.engine.connect()
    try:
        # lock the room's row from outside, as a long transaction would: its next send waits
        blocker.exec_driver_sql("SELECT id FROM rooms WHERE id = %s FOR UPDATE", (stuck_id,))
        done = []
        a.sio.emit("send", {"room": stuck_room, "body": "waits"}, callback=done.append)
        time.sleep(0.5)
        assert done == []  # really stuck on the database
        started = time.monotonic()
        for i in range(5):
            assert b.call("send", {"room": free_room, "body": f"free {i}"}, timeout=5)["ok"]
        assert time.monotonic() - started < 5
        assert done == []
    finally:
        blocker.rollback()
        blocker.close()
    deadline = time.monotonic() + 10
    while not done and time.monotonic() < deadline:
        time.sleep(0.05)
    assert done and done[0]["ok"]


# ------------------------------------------------------------------------------ chat v2
def test_membership_changes_reach_the_users_sockets_on_the_other_process(pair, clients):
    one, two = pair
    (_, owner_token), (guest, guest_token) = register(one.url), register(one.url)
    name = f"mp2-{uuid.uuid4().hex[:10]}"
    assert Api(one.url, owner_token).post("/api/rooms", {"name": name, "private": True}).status_code == 201
    theirs = clients(two.url, guest_token)  # on the other process, in no room
    added = Api(one.url, owner_token).post(f"/api/rooms/{name}/members", {"username": guest["username"]})
    assert added.status_code == 204
    assert theirs.wait_for("member_added", lambda d: d["room"]["name"] == name)["user"] == guest["username"]
    assert theirs.call("join", {"room": name})["ok"]
    banned = Api(one.url, owner_token).post(f"/api/rooms/{name}/bans", {"username": guest["username"]})
    assert banned.status_code == 204
    theirs.wait_for("member_removed", lambda d: d == {"room": name, "user": guest["username"]})
    # evicted on its own process: the socket is out of the room
    ack = theirs.call("send", {"room": name, "body": "still in?"})
    assert ack["ok"] is False and ack["error"]["code"] == "forbidden"


def test_mentions_reactions_and_read_state_cross_processes(pair, clients):
    one, two = pair
    (alice, a_token), (bob, b_token) = register(one.url), register(two.url)
    name = f"mp2-{uuid.uuid4().hex[:10]}"
    assert Api(one.url, a_token).post("/api/rooms", {"name": name}).status_code == 201
    a = clients(one.url, a_token)
    b_one, b_two = clients(one.url, b_token), clients(two.url, b_token)
    assert a.call("join", {"room": name})["ok"] and b_two.call("join", {"room": name})["ok"]
    msg = a.call("send", {"room": name, "body": f"@{bob['username']} look"})["message"]
    assert b_one.wait_for("mention", lambda d: d["message"]["id"] == msg["id"])  # joined or not
    assert b_two.wait_for("mention", lambda d: d["message"]["id"] == msg["id"])
    assert b_two.call("react", {"id": msg["id"], "emoji": "👀", "on": True})["ok"]
    assert a.wait_for("reactions", lambda d: d["id"] == msg["id"])["reactions"][0]["users"] == [
        bob["username"]
    ]
    assert b_two.call("read", {"room": name, "id": msg["id"]})["last_read"] == msg["id"]
    assert b_one.wait_for("read", lambda d: d["room"] == name) == {"room": name, "last_read": msg["id"]}
    dm = Api(two.url, b_token).post("/api/dms", {"username": alice["username"]})
    assert dm.status_code == 201
    assert (
        a.wait_for("member_added", lambda d: d["room"]["name"] == dm.json()["room"]["name"])["room"][
            "dm_with"
        ]
        == bob["username"]
    )
