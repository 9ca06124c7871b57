"""Joins in a burst of reconnects (app/transport/sockets.py): they take turns, as many at once
as the database pool holds connections, and wait for a turn instead of being answered
`unavailable` after waiting inside their deadline; a join whose socket closed while it waited
is not run; one that finishes after its socket closed leaves the room again. And the one
round trip a connect and a join make to the shared state (app/storage)."""

from __future__ import annotations

import threading
import time
import uuid
from types import SimpleNamespace

import pytest
import redis

from app.config import load
from app.models import Room, User
from app.storage.members import Access
from app.storage.state import MemoryState, RedisState
from app.transport import sockets as sockets_module
from app.transport.sockets import SocketHandlers, SocketState
from tests.support.settings import BACKEND, REDIS_URL
from tests.support.threads import run_together

ROOM = Room(1, "lobby", False, 1, "owner")


class FakeSio:
    def __init__(self):
        self.rooms: dict[str, set[str]] = {}

    def enter_room(self, sid, room, namespace=None):
        self.rooms.setdefault(sid, set()).add(room)

    def leave_room(self, sid, room, namespace=None):
        self.rooms.get(sid, set()).discard(room)

    def start_background_task(self, fn, *args):
        fn(*args)


class FakeChat:
    """Joins that take `hold` seconds each and count how many run at once."""

    def __init__(self, pool_size: int, hold: float):
        self.config = SimpleNamespace(db_pool_size=pool_size, redis_pool_size=64)
        self.hold = hold
        self.running = 0
        self.most = 0
        self.joined: list[str] = []
        self.offline: list[str] = []
        self._lock = threading.Lock()
        self.messages = SimpleNamespace(join=self._join)
        self.members = SimpleNamespace(joined=lambda user, room, access: None)
        self.state = SimpleNamespace(
            presence_join=lambda room, sid, user: (True, [user]),
            presence_leave=self._presence_leave,
            sockets_closed=lambda closed: [[(r, "u", True) for r in rooms] for _, _, rooms in closed],
        )
        self.limits = SimpleNamespace(check=lambda user, kind: None)

    def _join(self, user, data, enter):
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            enter(ROOM)
            time.sleep(self.hold)
            self.joined.append(data["sid"])
            return ROOM, [], False, 0, Access(False, True, None)
        finally:
            with self._lock:
                self.running -= 1

    def _presence_leave(self, room, sid):
        self.offline.append(sid)
        return "u", True


def handlers(pool_size=1, hold=0.05):
    delivery = SimpleNamespace(
        begin_join=lambda room, sid: None,
        forget_socket=lambda room, sid: None,
        end_join=lambda room, sid, seq: None,
        presence=lambda *a, **k: None,
    )
    metrics = SimpleNamespace(connected=lambda n: None, error=lambda: None, sent=lambda: None)
    chat = FakeChat(pool_size, hold)
    h = SocketHandlers(FakeSio(), chat, delivery, metrics)
    return h, chat, h._event("join", h.on_join)


def connect(h, sid):
    h.sockets[sid] = SocketState(User(1, "u", "session"))


def join_all(join, sids):
    acks = {}

    def run(sid):
        acks[sid] = join(sid, {"room": "lobby", "sid": sid})

    run_together(run, sids)
    return acks


def test_a_burst_of_joins_takes_turns_and_every_one_is_answered():
    h, chat, join = handlers(pool_size=1, hold=0.02)  # two turns: pool and overflow
    sids = [f"s{i}" for i in range(12)]
    for sid in sids:
        connect(h, sid)
    acks = join_all(join, sids)
    assert all(ack["ok"] for ack in acks.values()), acks
    assert chat.most <= 2
    assert sorted(chat.joined) == sorted(sids)


def test_a_join_whose_socket_closed_while_it_waited_is_not_run():
    h, chat, join = handlers(pool_size=1, hold=0.3)
    for sid in ("a", "b", "c"):
        connect(h, sid)
    first = threading.Thread(target=join_all, args=(join, ["a", "b"]))
    first.start()
    time.sleep(0.1)  # a and b hold both turns
    late = threading.Thread(target=lambda: acks.update(join_all(join, ["c"])))
    acks: dict = {}
    late.start()
    time.sleep(0.05)
    del h.sockets["c"]  # c gives up and disconnects while it waits
    first.join(5)
    late.join(5)
    assert acks["c"]["ok"] is False and acks["c"]["error"]["code"] == "unauthorized"
    assert "c" not in chat.joined


def test_a_join_sent_again_replaces_the_one_still_waiting(monkeypatch):
    """A client whose join's acknowledgement timed out sends it again: the older one, still
    waiting for its turn, is answered at once and only the newer one runs."""
    monkeypatch.setattr(sockets_module, "REPLACE_JOIN_AFTER", 0.02)
    h, chat, join = handlers(pool_size=1, hold=0.3)
    for sid in ("a", "b", "c"):
        connect(h, sid)
    busy = threading.Thread(target=join_all, args=(join, ["a", "b"]))
    busy.start()
    time.sleep(0.1)  # a and b hold both turns
    acks: list = []

    def send(label):
        acks.append((label, join("c", {"room": "lobby", "sid": "c"})))

    first = threading.Thread(target=send, args=("first",))
    first.start()
    time.sleep(0.05)
    again = threading.Thread(target=send, args=("again",))
    again.start()
    for t in (busy, first, again):
        t.join(5)
    answers = dict(acks)
    assert answers["first"]["ok"] is False and answers["first"]["error"]["code"] == "unavailable"
    assert answers["again"]["ok"] is True
    assert chat.joined.count("c") == 1
    assert h.sockets["c"].joining == {}  # nothing left behind


def test_joins_of_a_room_sent_together_all_run():
    """Several joins of one room sent at once (not a retry after a timeout) replace nothing."""
    h, chat, join = handlers(pool_size=1, hold=0.05)
    connect(h, "c")
    acks = []

    def send():
        acks.append(join("c", {"room": "lobby", "sid": "c"}))

    run_together(lambda _: send(), range(5), timeout=5)
    assert [a["ok"] for a in acks] == [True] * 5
    assert chat.joined.count("c") == 5
    assert h.sockets["c"].joining == {}


def test_a_join_that_gets_no_turn_in_time_is_unavailable(monkeypatch):
    monkeypatch.setattr(sockets_module, "JOIN_QUEUE_SECONDS", 0.05)
    h, chat, join = handlers(pool_size=1, hold=0.4)
    for sid in ("a", "b", "c"):
        connect(h, sid)
    acks = join_all(join, ["a", "b", "c"])
    codes = sorted(ack["error"]["code"] if not ack["ok"] else "ok" for ack in acks.values())
    assert codes == ["ok", "ok", "unavailable"]


def test_a_join_finished_after_its_socket_closed_leaves_the_room_again():
    h, chat, join = handlers(pool_size=1, hold=0.2)
    connect(h, "a")
    t = threading.Thread(target=join_all, args=(join, ["a"]))
    t.start()
    time.sleep(0.05)
    h.on_disconnect("a")  # the disconnect sees no room yet
    t.join(5)
    assert not h.sio.rooms.get("a")
    assert chat.offline == ["a"]


# ------------------------------------------------------------------ the shared state
@pytest.fixture(params=["memory", "redis"])
def state(request):
    channel = f"turns-{uuid.uuid4().hex[:10]}"
    if request.param == "memory":
        yield MemoryState(load({"SECRET_KEY": "k" * 40}), "inst")
        return
    if BACKEND != "postgres":
        pytest.skip("Redis is the postgres backend's shared state")
    yield RedisState(load({"SECRET_KEY": "k" * 40, "REDIS_URL": REDIS_URL, "SOCKETIO_CHANNEL": channel}), "i")
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{channel}:*"):
        client.delete(key)


def test_presence_join_answers_who_is_online_in_the_same_call(state):
    assert state.presence_join("r", "s1", "bob") == (True, ["bob"])
    assert state.presence_join("r", "s2", "alice") == (True, ["alice", "bob"])
    assert state.presence_join("r", "s3", "bob") == (False, ["alice", "bob"])
    assert state.presence_join("r", "s3", "bob") == (False, ["alice", "bob"])  # the same socket again
    assert state.presence_leave("r", "s1") == ("bob", False)
    assert state.presence_join("r", "s4", "carol") == (True, ["alice", "bob", "carol"])


def test_a_connect_records_its_socket_with_a_live_session_only(state):
    state.create_session("key1", {"id": 7, "username": "dora"})
    session = state.get_session("key1", "sid-a")
    assert session["username"] == "dora" and int(session["id"]) == 7
    assert state.get_session("nokey", "sid-b") is None
    assert state.delete_session("key1") == ["sid-a"]  # logging out closes the socket
    assert state.delete_session("nokey") == []  # nothing was recorded for an unknown session


def test_a_closed_socket_leaves_its_rooms_and_its_session_in_one_call(state):
    state.create_session("key2", {"id": 8, "username": "bob"})
    assert state.get_session("key2", "s1") is not None
    assert state.get_session("key2", "s2") is not None
    state.presence_join("r1", "s1", "bob")
    state.presence_join("r2", "s1", "bob")
    state.presence_join("r2", "s2", "bob")  # bob stays online in r2 through his other socket
    [gone] = state.sockets_closed([("key2", "s1", ["r1", "r2", "r3"])])
    assert gone == [("r1", "bob", True), ("r2", "bob", False), ("r3", None, False)]
    assert state.presence_join("r1", "s9", "eve") == (True, ["eve"])
    assert state.presence_join("r2", "s9", "eve") == (True, ["bob", "eve"])
    assert state.delete_session("key2") == ["s2"]


def test_closed_sockets_leave_their_rooms_and_sessions_in_one_batch(state):
    state.create_session("key3", {"id": 9, "username": "bob"})
    state.create_session("key4", {"id": 10, "username": "eve"})
    for key, sid, user in (("key3", "s1", "bob"), ("key3", "s2", "bob"), ("key4", "s3", "eve")):
        assert state.get_session(key, sid) is not None
        state.presence_join("r1", sid, user)
    gone = state.sockets_closed([("key3", "s1", ["r1"]), ("key4", "s3", ["r1", "r2"]), ("key3", "s2", [])])
    assert gone == [[("r1", "bob", False)], [("r1", "eve", True), ("r2", None, False)], []]
    assert state.presence_join("r1", "s9", "dan") == (True, ["bob", "dan"])  # bob's s2 is still in r1
    assert state.delete_session("key3") == []  # both of key3's sockets were unregistered
    assert state.delete_session("key4") == []
    assert state.sockets_closed([]) == []
