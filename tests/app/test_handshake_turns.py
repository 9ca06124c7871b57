"""Connects in a reconnect storm (app/transport/sockets.py): they take turns, a quarter of the
Redis pool at once, and wait for a turn outside the session lookup's deadline, so a burst far
larger than the turns is accepted whole; a connect whose client went away while it waited is
not looked up, and one whose client went away during the lookup is undone (python-socketio
calls no disconnect handler for a connect in progress)."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest
from socketio.exceptions import ConnectionRefusedError as ConnectRefused

from app.errors import ChatError
from app.models import User
from app.transport.sockets import SocketHandlers, SocketState
from tests.support.threads import run_together


class FakeSio:
    """python-socketio's server as the connect handler sees it: Socket.IO sid -> Engine.IO
    socket, which the test may close."""

    def __init__(self):
        self.eio = SimpleNamespace(sockets={})
        self.manager = SimpleNamespace(eio_sid_from_sid=lambda sid, namespace: "e" + sid)
        self.rooms: dict[str, set[str]] = {}

    def open(self, sid):
        self.eio.sockets["e" + sid] = SimpleNamespace(closed=False)

    def close(self, sid):
        self.eio.sockets.pop("e" + sid).closed = True

    def enter_room(self, sid, room, namespace=None):
        self.rooms.setdefault(sid, set()).add(room)


class FakeChat:
    """Session lookups that take `hold` seconds each and count how many run at once."""

    def __init__(self, redis_pool_size: int, hold: float):
        self.config = SimpleNamespace(db_pool_size=4, redis_pool_size=redis_pool_size)
        self.hold = hold
        self.running = 0
        self.most = 0
        self.looked_up: list[str] = []
        self.unregistered: list[str] = []
        self.during_lookup = lambda sid: None
        self._lock = threading.Lock()
        self.accounts = SimpleNamespace(authenticate=self._authenticate)
        self.state = SimpleNamespace(remove_session_sid=lambda key, sid: self.unregistered.append(sid))

    def _authenticate(self, token, sid):
        if token != "good-token-of-twenty-chars":
            raise ChatError("unauthorized", "the token is invalid or was revoked")
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(self.hold)
            self.during_lookup(sid)
            self.looked_up.append(sid)
            return User(1, "u", "session")
        finally:
            with self._lock:
                self.running -= 1


def handlers(redis_pool_size=8, hold=0.02):
    delivery = SimpleNamespace()
    metrics = SimpleNamespace(connected=lambda n: None, error=lambda: None)
    chat = FakeChat(redis_pool_size, hold)
    sio = FakeSio()
    return SocketHandlers(sio, chat, delivery, metrics), chat, sio


def connect_all(h, sids, token="good-token-of-twenty-chars"):
    outcome = {}

    def run(sid):
        try:
            h.on_connect(sid, {}, {"token": token})
            outcome[sid] = "ok"
        except ConnectRefused as exc:
            outcome[sid] = exc.error_args["message"]

    run_together(run, sids)
    return outcome


def test_a_burst_of_connects_beyond_the_turns_is_accepted_whole():
    h, chat, sio = handlers(redis_pool_size=8, hold=0.02)  # two turns
    sids = [f"s{i}" for i in range(20)]
    for sid in sids:
        sio.open(sid)
    outcome = connect_all(h, sids)
    assert outcome == {sid: "ok" for sid in sids}
    assert chat.most <= 2
    assert sorted(chat.looked_up) == sorted(sids)
    assert sorted(h.sockets) == sorted(sids)
    assert all(sio.rooms[sid] for sid in sids)  # each in its user's room


def test_a_connect_whose_client_left_while_it_waited_is_not_looked_up():
    h, chat, sio = handlers(redis_pool_size=8, hold=0.0)
    sio.open("gone")
    h.handshake_turns.acquire()
    h.handshake_turns.acquire()  # every turn taken: the connect below waits
    outcome = {}
    t = threading.Thread(target=lambda: outcome.update(connect_all(h, ["gone"])))
    t.start()
    time.sleep(0.05)
    sio.close("gone")
    h.handshake_turns.release()
    t.join(5)
    h.handshake_turns.release()
    assert outcome == {"gone": "unavailable"}
    assert chat.looked_up == []
    assert "gone" not in h.sockets


def test_a_connect_whose_client_left_during_the_lookup_is_undone():
    h, chat, sio = handlers(hold=0.0)
    sio.open("left")
    chat.during_lookup = sio.close
    assert connect_all(h, ["left"]) == {"left": "unavailable"}
    assert chat.unregistered == ["left"]
    assert "left" not in h.sockets and "left" not in sio.rooms


def test_a_refused_token_is_still_unauthorized_and_gives_its_turn_back():
    h, chat, sio = handlers(redis_pool_size=8)
    sids = [f"s{i}" for i in range(5)]
    for sid in sids:
        sio.open(sid)
    assert connect_all(h, sids, token="bad") == {sid: "unauthorized" for sid in sids}
    assert connect_all(h, sids) == {sid: "ok" for sid in sids}


@pytest.mark.parametrize("pool, turns", [(64, 16), (4, 2), (10, 2)])
def test_turns_are_a_quarter_of_the_redis_pool(pool, turns):
    h, _, _ = handlers(redis_pool_size=pool)
    taken = 0
    while h.handshake_turns.acquire(timeout=0):
        taken += 1
    assert taken == turns


def test_a_burst_of_disconnects_is_unregistered_in_one_batch_after_the_handlers_returned():
    h, chat, sio = handlers()
    tasks, batches, offline = [], [], []
    sio.start_background_task = lambda fn, *args: tasks.append((fn, args))
    h.delivery.forget_socket = lambda room, sid: None
    h.delivery.presence = lambda room, user, what: offline.append((room, user, what))

    def closed(batch):
        batches.append(list(batch))
        return [[(room, sid, True) for room in rooms] for _, sid, rooms in batch]

    chat.state.sockets_closed = closed
    for sid in ("a", "b", "c"):
        h.sockets[sid] = SocketState(User(1, "u", "key-" + sid), {"lobby"})
        h.on_disconnect(sid)
    assert batches == [] and len(tasks) == 1  # nothing waited for Redis in the handlers
    fn, args = tasks.pop()
    fn(*args)
    assert batches == [[("key-a", "a", ["lobby"]), ("key-b", "b", ["lobby"]), ("key-c", "c", ["lobby"])]]
    assert offline == [("lobby", sid, "offline") for sid in ("a", "b", "c")]
    assert h.closing == [] and h.sockets == {}
    h.sockets["d"] = SocketState(User(1, "u", "key-d"))
    h.on_disconnect("d")
    assert len(tasks) == 1  # the next disconnect starts the next batch
