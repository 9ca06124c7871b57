"""Turns (app/transport/turns.py): at most `size` at once, waiters admitted newest first, a
waiter that gets no turn in time leaves the queue, and a join storm's newest join runs first."""

from __future__ import annotations

import threading
import time

import pytest

from app.transport.turns import Turns
from tests.app.test_join_turns import connect, handlers
from tests.support.threads import run_together


def _waiter(turns: Turns, name: str, order: list[str], hold: float = 0.02) -> threading.Thread:
    def run():
        assert turns.acquire(timeout=5)
        order.append(name)
        time.sleep(hold)
        turns.release()

    t = threading.Thread(target=run)
    t.start()
    return t


def _until(check, timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.005)


def test_waiters_are_admitted_newest_first():
    turns = Turns(1)
    assert turns.acquire(timeout=0)
    order: list[str] = []
    threads = []
    for k, name in enumerate(["oldest", "middle", "newest"]):
        threads.append(_waiter(turns, name, order))
        _until(lambda k=k: turns.waiting == k + 1)  # queued in this order
    turns.release()
    for t in threads:
        t.join(5)
    assert order == ["newest", "middle", "oldest"]
    assert turns.acquire(timeout=0), "every turn came back"


def test_never_more_than_size_at_once():
    turns = Turns(3)
    running = most = 0
    lock = threading.Lock()

    def run(_):
        nonlocal running, most
        assert turns.acquire(timeout=10)
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.01)
        with lock:
            running -= 1
        turns.release()

    run_together(run, range(30))
    assert most == 3
    assert [turns.acquire(timeout=0) for _ in range(4)] == [True, True, True, False]


def test_a_waiter_that_gets_no_turn_in_time_leaves_the_queue():
    turns = Turns(1)
    assert turns.acquire(timeout=0)
    t0 = time.monotonic()
    assert turns.acquire(timeout=0.05) is False
    assert time.monotonic() - t0 >= 0.05
    assert turns.waiting == 0
    turns.release()  # to nobody: the timed-out waiter is gone
    assert turns.acquire(timeout=0)


def test_releasing_a_turn_never_taken_is_an_error():
    with pytest.raises(ValueError):
        Turns(2).release()


def test_in_a_burst_of_joins_the_newest_runs_first():
    """Two turns held; three joins wait; the newest run first when turns free."""
    h, chat, join = handlers(pool_size=1, hold=0.2)  # two turns
    for sid in ("a", "b", "w1", "w2", "w3"):
        connect(h, sid)
    threads = [threading.Thread(target=join, args=(sid, {"room": "lobby", "sid": sid})) for sid in ("a", "b")]
    for t in threads:
        t.start()
    _until(lambda: chat.running == 2)
    for k, sid in enumerate(("w1", "w2", "w3")):
        t = threading.Thread(target=join, args=(sid, {"room": "lobby", "sid": sid}))
        t.start()
        threads.append(t)
        _until(lambda k=k: h.join_turns.waiting == k + 1)
    for t in threads:
        t.join(5)
    assert sorted(chat.joined[:2]) == ["a", "b"]
    # a and b free their two turns together: the two newest waiters get them, the oldest last
    assert sorted(chat.joined[2:4]) == ["w2", "w3"], chat.joined
    assert chat.joined[4] == "w1", chat.joined


def test_until_none_waiting():
    turns = Turns(1)
    assert turns.until_none_waiting(0)
    assert turns.acquire(timeout=0)
    waiter = threading.Thread(target=lambda: turns.acquire(timeout=5) and turns.release())
    waiter.start()
    _until(lambda: turns.waiting == 1)
    assert turns.until_none_waiting(0.02) is False
    turns.release()
    assert turns.until_none_waiting(5)
    waiter.join(5)


def test_a_connect_waits_while_joins_wait_for_their_turns():
    """A storm is let in no faster than its joins are answered: with every join turn taken
    and a join waiting for one, a connect is not looked up until that join got its turn."""
    from tests.app.test_handshake_turns import handlers as connect_handlers

    h, chat, sio = connect_handlers()
    taken = 0
    while h.join_turns.acquire(timeout=0):
        taken += 1
    got_turn = threading.Event()
    join = threading.Thread(target=lambda: h.join_turns.acquire(timeout=5) and got_turn.set())
    join.start()
    _until(lambda: h.join_turns.waiting == 1)
    sio.open("s1")
    outcome: list[str] = []
    connect = threading.Thread(
        target=lambda: outcome.append(h.on_connect("s1", {}, {"token": "good-token-of-twenty-chars"}) or "ok")
    )
    connect.start()
    time.sleep(0.2)
    assert chat.looked_up == [], "looked up while a join waited for its turn"
    h.join_turns.release()  # the waiting join gets it
    assert got_turn.wait(5)
    connect.join(5)
    assert outcome == ["ok"] and chat.looked_up == ["s1"]
    for _ in range(taken):
        h.join_turns.release()
