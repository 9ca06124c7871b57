"""The reorderer's rules, as a pure unit (the multi-process tests exercise it for real)."""

import time

from app.delivery.ordering import Reorderer


def make(fetch=None):
    out = []
    r = Reorderer(lambda item, seq, skip: out.append((item, tuple(skip))), fetch, gap_timeout=1.0)
    return r, out


def items(out):
    return [i for i, _ in out]


def start(r, room="a", last_seq=0):
    r.begin_join(room, "sid0")
    r.end_join(room, "sid0", last_seq, lambda m: None)


def test_in_order_messages_pass_straight_through():
    r, out = make()
    start(r)
    for seq in (1, 2, 3):
        r.push("a", seq, seq)
    assert items(out) == [1, 2, 3]


def test_a_later_number_waits_for_the_gap_then_both_go_in_order():
    r, out = make()
    start(r)
    r.push("a", 2, 2)
    r.push("a", 3, 3)
    assert out == []
    r.push("a", 1, 1)
    assert items(out) == [1, 2, 3]
    assert r.close_gaps(now=10**9) == 0  # nothing is left waiting


def test_rooms_are_independent():
    r, out = make()
    start(r, "a", 0)
    start(r, "b", 10)
    r.push("a", 2, "a2")
    r.push("b", 11, "b11")
    assert items(out) == ["b11"]


def test_a_gap_open_past_the_timeout_is_filled_from_the_database():
    fetched = []

    def fetch(room, seq):
        fetched.append((room, seq))
        return f"db{seq}"

    r, out = make(fetch)
    start(r)
    r.push("a", 2, 2)
    assert r.close_gaps() == 0 and out == []  # not old enough yet
    assert r.close_gaps(now=10**9) == 0
    assert fetched == [("a", 1)] and items(out) == ["db1", 2]


def test_a_number_with_no_message_in_the_database_is_skipped_for_good():
    r, out = make(lambda room, seq: None)
    start(r)
    r.push("a", 3, 3)
    assert r.close_gaps(now=10**9) == 2
    assert items(out) == [3]
    r.push("a", 1, 1)  # a publish of something the database no longer holds (deleted)
    assert items(out) == [3]


def test_while_the_database_cannot_be_read_a_gap_waits_then_is_skipped_and_late_delivered_once():
    def broken(room, seq):
        raise RuntimeError("database down")

    r, out = make(broken)
    r.give_up_after = 0.2
    start(r)
    r.push("a", 2, 2)
    assert r.close_gaps(now=10**9) == 0 and out == []  # still waiting: maybe the DB returns
    time.sleep(0.25)
    assert r.close_gaps(now=10**9) == 1
    assert items(out) == [2]
    r.push("a", 1, 1)  # its publish came after all
    r.push("a", 1, 1)  # and once more: never twice
    assert items(out) == [2, 1]


def test_a_number_already_delivered_is_never_delivered_again():
    r, out = make()
    start(r)
    r.push("a", 1, 1)
    r.push("a", 1, 1)  # a retried send published again
    assert items(out) == [1]


def test_a_skipped_number_published_as_none_unblocks_at_once():
    r, out = make()
    start(r)
    r.push("a", 2, 2)
    r.push("a", 1, None)  # the sender's notice that number 1 holds no message
    assert items(out) == [2]


def test_a_joining_socket_gets_each_message_once_in_history_or_live():
    r, out = make()
    start(r, "a", 0)
    r.push("a", 1, 1)
    r.begin_join("a", "new")
    r.push("a", 2, 2)  # committed before the joiner's history was read: in its history
    r.push("a", 3, 3)  # committed after: must reach it live
    assert out[-2:] == [(2, ("new",)), (3, ("new",))]  # held back from the joiner meanwhile
    sent = []
    r.end_join("a", "new", 2, sent.append)
    assert sent == [3]
    r.push("a", 4, 4)
    assert out[-1] == (4, ())


def test_while_joining_an_in_flight_number_up_to_the_history_is_skipped_for_the_joiner():
    r, out = make()
    start(r, "a", 0)
    r.push("a", 2, 2)  # 1 still in flight
    r.begin_join("a", "new")
    sent = []
    r.end_join("a", "new", 2, sent.append)  # its history had 1 and 2
    assert sent == []
    r.push("a", 1, 1)
    assert out == [(1, ("new",)), (2, ("new",))]
    r.push("a", 3, 3)
    assert out[-1] == (3, ())


def test_reset_forgets_positions():
    r, out = make()
    r.push("a", 7, 7)
    r.push("a", 8, 8)
    assert items(out) == [7, 8]
    r.reset()
    start(r, "a", 20)
    r.push("a", 22, 22)
    assert items(out) == [7, 8]
