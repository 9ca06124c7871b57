"""Contract 4.3-4.5: threads, reactions, mentions, read state and unread counts."""

from __future__ import annotations

import pytest

from tests.support.client import refused


@pytest.fixture
def room(alice, room_factory):
    return room_factory(alice[1])["name"]


@pytest.fixture
def pair(alice, bob, room, make_client):
    a, b = make_client(alice[1]), make_client(bob[1])
    assert a.call("join", {"room": room})["ok"] and b.call("join", {"room": room})["ok"]
    return a, b


def send(client, room, body, **extra):
    ack = client.call("send", {"room": room, "body": body, **extra})
    assert ack["ok"], ack
    return ack["message"]


# ------------------------------------------------------------------------------ threads
def test_a_reply_lives_in_its_thread_and_updates_the_root(pair, room, api, alice):
    a, b = pair
    root = send(a, room, "root")
    assert root["thread"] is None and root["reply_count"] == 0 and root["last_reply_at"] is None
    reply = send(b, room, "reply", thread=root["id"])
    assert reply["thread"] == root["id"] and "reply_count" not in reply
    assert a.wait_for("message", lambda m: m["id"] == reply["id"])
    updated = a.wait_for("message_updated", lambda m: m["id"] == root["id"])
    assert updated["reply_count"] == 1 and updated["last_reply_at"] == reply["created_at"]
    history = api(alice[1]).get(f"/api/rooms/{room}/messages").json()["messages"]
    assert [m["id"] for m in history] == [root["id"]]  # top-level only
    thread = api(alice[1]).get(f"/api/rooms/{room}/messages?thread={root['id']}").json()
    assert [m["id"] for m in thread["messages"]] == [reply["id"]] and thread["more"] is False
    assert [m["id"] for m in a.call("join", {"room": room})["messages"]] == [root["id"]]
    since = a.call("join", {"room": room, "since": root["id"] - 1})["messages"]
    assert [m["id"] for m in since] == [root["id"], reply["id"]]  # a reconnect misses nothing


def test_thread_rules(pair, room, room_factory, alice, api):
    a, _ = pair
    root = send(a, room, "root")
    reply = send(a, room, "reply", thread=root["id"])
    refused(a.call("send", {"room": room, "body": "x", "thread": reply["id"]}), "invalid_payload")
    refused(a.call("send", {"room": room, "body": "x", "thread": 10**12}), "not_found")
    refused(a.call("send", {"room": room, "body": "x", "thread": "1"}), "invalid_payload")
    other = room_factory(alice[1])["name"]
    a.call("join", {"room": other})
    refused(a.call("send", {"room": other, "body": "x", "thread": root["id"]}), "invalid_payload")
    assert api(alice[1]).get(f"/api/rooms/{room}/messages?thread={10**12}").status_code == 404
    assert api(alice[1]).get(f"/api/rooms/{room}/messages?thread={reply['id']}").status_code == 404


def test_deleting_a_reply_or_a_root(pair, room, api, alice):
    a, b = pair
    root = send(a, room, "root")
    r1 = send(b, room, "one", thread=root["id"])
    r2 = send(b, room, "two", thread=root["id"])
    assert b.call("delete", {"id": r2["id"]})["ok"]
    updated = a.wait_for("message_updated", lambda m: m["id"] == root["id"] and m["reply_count"] == 1)
    assert updated["last_reply_at"] == r1["created_at"]
    assert a.call("delete", {"id": root["id"]})["ok"]
    a.wait_for("message_deleted", lambda d: d["id"] == root["id"])
    a.wait_for("message_deleted", lambda d: d["id"] == r1["id"])
    refused(b.call("send", {"room": room, "body": "late", "thread": root["id"]}), "not_found")
    assert api(alice[1]).get(f"/api/rooms/{room}/messages?thread={root['id']}").status_code == 404
    since = a.call("join", {"room": room, "since": root["id"] - 1})["messages"]
    assert all(m["id"] not in (root["id"], r1["id"], r2["id"]) for m in since)


# ------------------------------------------------------------------------------ reactions
def test_reactions_in_order_of_first_use_with_their_users(pair, room, alice, bob):
    a, b = pair
    msg = send(a, room, "react to me")
    assert a.call("react", {"id": msg["id"], "emoji": "👍", "on": True})["ok"]
    assert b.call("react", {"id": msg["id"], "emoji": "🎉", "on": True})["ok"]
    ack = b.call("react", {"id": msg["id"], "emoji": "👍", "on": True})
    assert ack["reactions"] == [
        {"emoji": "👍", "count": 2, "users": [alice[0]["username"], bob[0]["username"]]},
        {"emoji": "🎉", "count": 1, "users": [bob[0]["username"]]},
    ]
    event = a.wait_for(
        "reactions",
        lambda d: d["id"] == msg["id"] and len(d["reactions"]) == 2 and d["reactions"][0]["count"] == 2,
    )
    assert event["room"] == room
    again = b.call("react", {"id": msg["id"], "emoji": "👍", "on": True})  # twice: no change
    assert again["reactions"] == ack["reactions"]
    a.call("react", {"id": msg["id"], "emoji": "👍", "on": False})
    b.call("react", {"id": msg["id"], "emoji": "👍", "on": False})
    assert b.call("react", {"id": msg["id"], "emoji": "👍", "on": False})["ok"]  # never added: fine
    back = a.call("react", {"id": msg["id"], "emoji": "👍", "on": True})["reactions"]
    assert [r["emoji"] for r in back] == ["🎉", "👍"]  # gone, then added again: last
    history = a.call("join", {"room": room})["messages"]
    assert [r["emoji"] for r in next(m for m in history if m["id"] == msg["id"])["reactions"]] == ["🎉", "👍"]


def test_reaction_rules(pair, room):
    a, _ = pair
    msg = send(a, room, "limits")
    for bad in ("", " ", "a b", "x" * 33, 5, None):
        refused(a.call("react", {"id": msg["id"], "emoji": bad, "on": True}), "invalid_payload")
    refused(a.call("react", {"id": msg["id"], "emoji": "👍"}), "invalid_payload")
    refused(a.call("react", {"id": 10**12, "emoji": "👍", "on": True}), "not_found")
    for i in range(20):
        assert a.call("react", {"id": msg["id"], "emoji": f"e{i}", "on": True})["ok"]
    refused(a.call("react", {"id": msg["id"], "emoji": "one-more", "on": True}), "invalid_payload")
    assert a.call("react", {"id": msg["id"], "emoji": "e3", "on": True})["ok"]  # a known one: fine


def test_reacting_in_a_private_room_of_others_is_forbidden(alice, bob, room_factory, make_client):
    private = room_factory(alice[1], private=True)["name"]
    a = make_client(alice[1])
    a.call("join", {"room": private})
    msg = send(a, private, "secret")
    refused(make_client(bob[1]).call("react", {"id": msg["id"], "emoji": "👀", "on": True}), "forbidden")


# ------------------------------------------------------------------------------ mentions, read state
def test_mentions_of_members_reach_them_joined_or_not(alice, bob, make_user, room, api, make_client):
    carol = make_user()
    a = make_client(alice[1])
    a.call("join", {"room": room})
    b_join = make_client(bob[1])
    b_join.call("join", {"room": room})
    b_join.close()
    b = make_client(bob[1])  # a socket of bob's that has not joined the room
    make_client(carol[1])  # carol is not a member
    body = f"hi @{bob[0]['username'].upper()}, @{carol[0]['username']} and @{alice[0]['username']}."
    msg = send(a, room, body)
    assert msg["mentions"] == [bob[0]["username"], alice[0]["username"]]
    got = b.wait_for("mention", lambda d: d["message"]["id"] == msg["id"])
    assert got["room"] == room
    assert a.received("mention") == []  # never for one's own message
    listed = {r["name"]: r for r in api(bob[1]).get("/api/rooms").json()["rooms"]}[room]
    assert listed["unread"] == 1 and listed["mentions"] == 1


def test_an_edit_that_adds_a_mention_sends_it_then(alice, bob, room, make_client):
    a, b = make_client(alice[1]), make_client(bob[1])
    a.call("join", {"room": room})
    b.call("join", {"room": room})
    msg = send(a, room, "hello")
    assert b.received("mention") == []
    edited = a.call("edit", {"id": msg["id"], "body": f"hello @{bob[0]['username']}"})["message"]
    assert edited["mentions"] == [bob[0]["username"]]
    b.wait_for("mention", lambda d: d["message"]["id"] == msg["id"])


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("@{u}", True),
        ("(@{u})", True),
        ("x@{u}", False),
        ("@{u}. next", True),
        ("@{u}-", True),
        ("mail@{u}.org", False),
    ],
)
def test_what_counts_as_a_mention(alice, bob, room, make_client, text, found):
    a, b = make_client(alice[1]), make_client(bob[1])
    a.call("join", {"room": room})
    b.call("join", {"room": room})
    msg = send(a, room, text.format(u=bob[0]["username"]))
    assert (msg["mentions"] == [bob[0]["username"]]) is found


def test_read_state_moves_forward_and_syncs_every_device(alice, bob, room, api, make_client):
    a = make_client(alice[1])
    a.call("join", {"room": room})
    b1, b2 = make_client(bob[1]), make_client(bob[1])
    joined = b1.call("join", {"room": room})
    assert joined["last_read"] is None  # a new member of an empty room
    ids = [send(a, room, f"m{i}")["id"] for i in range(3)]
    rooms = {r["name"]: r for r in api(bob[1]).get("/api/rooms").json()["rooms"]}
    assert rooms[room]["unread"] == 3 and rooms[room]["mentions"] == 0
    assert b2.call("read", {"room": room, "id": ids[1]}) == {"ok": True, "last_read": ids[1]}
    assert b1.wait_for("read", lambda d: d["room"] == room) == {"room": room, "last_read": ids[1]}
    assert b2.call("read", {"room": room, "id": ids[0]})["last_read"] == ids[1]  # never back
    rooms = {r["name"]: r for r in api(bob[1]).get("/api/rooms").json()["rooms"]}
    assert rooms[room]["unread"] == 1
    a.call("delete", {"id": ids[2]})
    rooms = {r["name"]: r for r in api(bob[1]).get("/api/rooms").json()["rooms"]}
    assert rooms[room]["unread"] == 0  # deleted ones do not count
    refused(b2.call("read", {"room": room, "id": 10**12}), "not_found")
    refused(b2.call("read", {"room": room, "id": "x"}), "invalid_payload")
    assert b1.call("join", {"room": room})["last_read"] == ids[1]


def test_a_new_member_starts_read_at_the_newest_message(alice, bob, room, api, make_client):
    a = make_client(alice[1])
    a.call("join", {"room": room})
    last = send(a, room, "old news")["id"]
    assert make_client(bob[1]).call("join", {"room": room})["last_read"] == last
    listed = {r["name"]: r for r in api(bob[1]).get("/api/rooms").json()["rooms"]}[room]
    assert listed["unread"] == 0


def test_read_needs_membership(alice, bob, room_factory, make_client):
    private = room_factory(alice[1], private=True)["name"]
    a = make_client(alice[1])
    a.call("join", {"room": private})
    msg = send(a, private, "x")
    refused(make_client(bob[1]).call("read", {"room": private, "id": msg["id"]}), "forbidden")
