"""The reorderer's rules, as a pure unit (the multi-process tests exercise it for real)."""

from app.ordering import Reorderer


def make(fetch=None):
    out = []
    return Reorderer(out.append, fetch, gap_timeout=1.0), out


def test_in_order_messages_pass_straight_through():
    r, out = make()
    r.observe("a", 0)
    for seq in (1, 2, 3):
        r.push("a", seq, seq)
    assert out == [1, 2, 3]


def test_a_later_number_waits_for_the_gap_then_both_go_in_order():
    r, out = make()
    r.observe("a", 0)
    r.push("a", 2, 2)
    r.push("a", 3, 3)
    assert out == [] and r.waiting() == 2
    r.push("a", 1, 1)
    assert out == [1, 2, 3] and r.waiting() == 0


def test_rooms_are_independent():
    r, out = make()
    r.observe("a", 0)
    r.observe("b", 10)
    r.push("a", 2, "a2")
    r.push("b", 11, "b11")
    assert out == ["b11"]


def test_a_gap_open_past_the_timeout_is_filled_from_the_database():
    fetched = []

    def fetch(room, seq):
        fetched.append((room, seq))
        return f"db{seq}"

    r, out = make(fetch)
    r.observe("a", 0)
    r.push("a", 2, 2)
    assert r.close_gaps() == 0 and out == []  # not old enough yet
    assert r.close_gaps(now=10**9) == 0
    assert fetched == [("a", 1)] and out == ["db1", 2]


def test_a_number_with_no_message_is_skipped():
    r, out = make(lambda room, seq: None)
    r.observe("a", 0)
    r.push("a", 3, 3)
    assert r.close_gaps(now=10**9) == 2
    assert out == [3]


def test_a_skipped_number_published_as_none_unblocks_at_once():
    r, out = make()
    r.observe("a", 0)
    r.push("a", 2, 2)
    r.push("a", 1, None)  # the sender's notice that number 1 holds no message
    assert out == [None, 2]


def test_a_very_late_message_is_still_delivered_never_dropped():
    r, out = make(lambda room, seq: None)
    r.observe("a", 0)
    r.push("a", 2, 2)
    r.close_gaps(now=10**9)
    r.push("a", 1, 1)
    assert out == [2, 1]


def test_without_a_join_the_first_message_sets_the_start_and_reset_forgets():
    r, out = make()
    r.push("a", 7, 7)
    r.push("a", 8, 8)
    assert out == [7, 8]
    r.reset()
    r.observe("a", 20)
    r.push("a", 22, 22)
    assert out == [7, 8]
