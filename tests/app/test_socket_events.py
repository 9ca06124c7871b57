"""The Socket.IO rows of the contract, over a real WebSocket client."""

import re
import time

import pytest
import socketio

from tests.support.client import Api, SioClient, refused, register

ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


@pytest.fixture
def room(alice, room_factory):
    return room_factory(alice[1])


# --------------------------------------------------------------------------- connect
@pytest.mark.parametrize("auth", [None, {}, {"token": "not-a-token-at-all-xxxxxxx"}, {"token": 42}, "token"])
def test_connect_without_a_valid_token_is_refused_as_unauthorized(base, auth):
    sio = socketio.Client(reconnection=False)
    errors = []
    sio.on("connect_error", lambda data: errors.append(data))
    with pytest.raises(socketio.exceptions.ConnectionError) as exc:
        sio.connect(base, auth=auth, transports=["websocket"], wait_timeout=5)
    assert exc.value
    assert errors and errors[-1] == {"message": "unauthorized"}
    sio.disconnect()


def test_logout_disconnects_the_sockets_opened_with_that_token_only(base, alice, make_client):
    user, token = alice

    second = (
        Api(base)
        .post("/api/login", {"username": user["username"], "password": "correct horse"})
        .json()["token"]
    )
    a = make_client(token)
    b = make_client(second)
    assert Api(base, token).post("/api/logout").status_code == 204
    assert a.disconnected.wait(5)
    assert not b.disconnected.wait(0.5)
    with pytest.raises(socketio.exceptions.ConnectionError):
        SioClient(base, token)


# --------------------------------------------------------------------------- join / leave
def test_join_returns_room_history_more_and_online(alice, bob, room, make_client):
    a = make_client(alice[1])
    ack = a.call("join", {"room": room["name"]})
    assert ack["ok"] is True
    assert ack["room"] == room
    assert ack["messages"] == [] and ack["more"] is False
    assert ack["online"] == [alice[0]["username"]]
    b = make_client(bob[1])
    ack = b.call("join", {"room": room["name"]})
    assert sorted(ack["online"]) == sorted([alice[0]["username"], bob[0]["username"]])
    ev = a.wait_for("presence")
    assert ev == {"room": room["name"], "user": bob[0]["username"], "status": "online"}
    # the joiner does not get its own presence event
    b.drain()
    assert not [p for p in b.received("presence") if p["user"] == bob[0]["username"]]


def test_join_returns_the_last_50_and_since_returns_up_to_500_after(alice, room, make_client, stack):
    a = make_client(alice[1])
    a.call("join", {"room": room["name"]})
    ids = [a.call("send", {"room": room["name"], "body": f"n{i}"})["message"]["id"] for i in range(55)]
    b = make_client(alice[1])
    ack = b.call("join", {"room": room["name"]})
    assert [m["id"] for m in ack["messages"]] == ids[-50:] and ack["more"] is True
    ack = b.call("join", {"room": room["name"], "since": ids[9]})
    assert [m["id"] for m in ack["messages"]] == ids[10:] and ack["more"] is False
    ack = b.call("join", {"room": room["name"], "since": ids[-1]})
    assert ack["messages"] == [] and ack["more"] is False


def test_join_since_pages_at_500(alice, room, make_client, stack):
    a = make_client(alice[1])
    a.call("join", {"room": room["name"]})
    rid = stack.db.scalar("SELECT id FROM rooms WHERE name = :n", n=room["name"])
    uid = alice[0]["id"]
    with stack.db.engine.begin() as conn:
        from sqlalchemy import text

        conn.execute(
            text(
                "INSERT INTO messages (room_id, user_id, body, created_at) "
                "VALUES (:r, :u, :b, CURRENT_TIMESTAMP)"
            ),
            [{"r": rid, "u": uid, "b": f"bulk {i}"} for i in range(502)],
        )
    ack = a.call("join", {"room": room["name"], "since": 0})
    assert len(ack["messages"]) == 500 and ack["more"] is True
    last = ack["messages"][-1]["id"]
    rest = Api(a.base, alice[1]).get(f"/api/rooms/{room['name']}/messages", params={"after": last}).json()
    assert len(rest["messages"]) == 2 and rest["more"] is False


def test_join_private_room_requires_membership(alice, bob, room_factory, make_client):
    priv = room_factory(alice[1], private=True)
    b = make_client(bob[1])
    refused(b.call("join", {"room": priv["name"]}), "forbidden")
    Api(b.base, alice[1]).post(f"/api/rooms/{priv['name']}/members", {"username": bob[0]["username"]})
    assert b.call("join", {"room": priv["name"]})["ok"]


def test_join_unknown_room_is_not_found(alice, make_client):
    refused(make_client(alice[1]).call("join", {"room": "no-such-room-zz"}), "not_found")


def test_leave_announces_offline_and_is_ok_when_not_joined(alice, bob, room, make_client):
    a = make_client(alice[1])
    b = make_client(bob[1])
    a.call("join", {"room": room["name"]})
    b.call("join", {"room": room["name"]})
    assert b.call("leave", {"room": room["name"]}) == {"ok": True}
    ev = a.wait_for("presence", lambda d: d["status"] == "offline")
    assert ev == {"room": room["name"], "user": bob[0]["username"], "status": "offline"}
    assert b.call("leave", {"room": room["name"]}) == {"ok": True}
    refused(b.call("leave", {"room": "no-such-room-zz"}), "not_found")


def test_user_stays_online_while_any_socket_is_joined_and_disconnect_is_a_leave(
    alice, bob, room, make_client
):
    a = make_client(alice[1])
    a.call("join", {"room": room["name"]})
    b1 = make_client(bob[1])
    b2 = make_client(bob[1])
    b1.call("join", {"room": room["name"]})
    b2.call("join", {"room": room["name"]})
    a.wait_for("presence", lambda d: d["status"] == "online")
    b1.close()
    time.sleep(0.5)
    assert not [p for p in a.received("presence") if p["status"] == "offline"]
    assert bob[0]["username"] in a.call("join", {"room": room["name"]})["online"]
    b2.close()
    ev = a.wait_for("presence", lambda d: d["status"] == "offline")
    assert ev["user"] == bob[0]["username"]


# --------------------------------------------------------------------------- send
def test_send_acks_the_stored_message_and_broadcasts_it_to_everyone(alice, bob, room, make_client, stack):
    a = make_client(alice[1])
    b = make_client(bob[1])
    a.call("join", {"room": room["name"]})
    b.call("join", {"room": room["name"]})
    ack = a.call("send", {"room": room["name"], "body": "  hello  world \n", "client_id": "c-1"})
    assert ack["ok"] is True
    msg = ack["message"]
    v1 = {"id", "room", "user", "body", "created_at", "edited_at", "client_id", "attachment"}
    v2 = {"thread", "reply_count", "last_reply_at", "reactions", "mentions"}
    assert set(msg) == v1 | v2
    assert msg["thread"] is None and msg["reply_count"] == 0 and msg["last_reply_at"] is None
    assert msg["reactions"] == [] and msg["mentions"] == []
    assert msg["room"] == room["name"] and msg["user"] == alice[0]["username"]
    assert msg["body"] == "  hello  world \n"  # stored exactly as typed
    assert ISO_Z.match(msg["created_at"]) and msg["edited_at"] is None
    assert msg["client_id"] == "c-1" and msg["attachment"] is None
    assert stack.db.scalar("SELECT body FROM messages WHERE id = :i", i=msg["id"]) == "  hello  world \n"
    assert a.wait_for("message") == msg
    assert b.wait_for("message") == msg


def test_send_body_limits(alice, room, make_client):
    a = make_client(alice[1])
    a.call("join", {"room": room["name"]})
    assert a.call("send", {"room": room["name"], "body": "é" * 4000})["ok"]
    assert a.call("send", {"room": room["name"], "body": "  " + "x" * 4000 + "\n\n"})["ok"]
    assert a.call("send", {"room": room["name"], "body": "😀" * 4000})["ok"]  # code points, not bytes
    refused(a.call("send", {"room": room["name"], "body": "x" * 4001}), "too_large")
    refused(a.call("send", {"room": room["name"], "body": "   \n\t "}), "invalid_payload")
    refused(a.call("send", {"room": room["name"], "body": ""}), "invalid_payload")


def test_send_body_is_capped_as_sent_too(alice, room, make_client, stack):
    """Padding cannot smuggle a large body past the 4000 limit on trimmed text: 8000 code
    points as sent, whitespace included; refused sends store nothing, edits likewise."""
    a = make_client(alice[1])
    a.call("join", {"room": room["name"]})
    padded = "x" * 4000 + " " * 4000
    kept = a.call("send", {"room": room["name"], "body": padded})
    assert kept["ok"] and kept["message"]["body"] == padded
    before = stack.db.scalar("SELECT count(*) FROM messages")
    refused(a.call("send", {"room": room["name"], "body": "x" + " " * 8000}), "too_large")
    refused(a.call("send", {"room": room["name"], "body": "\n" * 8001}), "too_large")
    refused(a.call("send", {"room": room["name"], "body": "x" + " " * 999_999}), "too_large")
    assert stack.db.scalar("SELECT count(*) FROM messages") == before
    refused(a.call("edit", {"id": kept["message"]["id"], "body": "y" + " " * 8000}), "too_large")


def test_send_with_client_id_is_idempotent(alice, bob, room, make_client, stack):
    a = make_client(alice[1])
    b = make_client(bob[1])
    a.call("join", {"room": room["name"]})
    b.call("join", {"room": room["name"]})
    first = a.call("send", {"room": room["name"], "body": "once", "client_id": "same"})["message"]
    again = a.call("send", {"room": room["name"], "body": "once", "client_id": "same"})["message"]
    assert again == first
    # another user may use the same client_id: it is per user
    other = b.call("send", {"room": room["name"], "body": "mine", "client_id": "same"})["message"]
    assert other["id"] != first["id"]
    b.drain(0.5)
    assert [m["id"] for m in b.received("message")].count(first["id"]) == 1
    count = stack.db.scalar(
        "SELECT count(*) FROM messages WHERE client_id = 'same' "
        "AND room_id = (SELECT id FROM rooms WHERE name = :n)",
        n=room["name"],
    )
    assert count == 2


def test_send_to_a_room_not_joined_is_forbidden_and_unknown_room_not_found(alice, room, make_client, stack):
    a = make_client(alice[1])
    before = stack.db.scalar("SELECT count(*) FROM messages")
    refused(a.call("send", {"room": room["name"], "body": "hi"}), "forbidden")
    refused(a.call("send", {"room": "no-such-room-zz", "body": "hi"}), "not_found")
    assert stack.db.scalar("SELECT count(*) FROM messages") == before


def test_send_to_private_room_without_membership_is_forbidden(alice, bob, room_factory, make_client):
    priv = room_factory(alice[1], private=True)
    b = make_client(bob[1])
    refused(b.call("send", {"room": priv["name"], "body": "let me in"}), "forbidden")


@pytest.fixture(scope="module")
def default_limits_server(stack):
    """A server with the contract's default send limit (10/s, bursts of 20)."""
    srv = stack.server(SEND_RATE_LIMIT="", SEND_RATE_BURST="")
    yield srv
    srv.close()


def test_flooding_is_rate_limited_and_stores_nothing(default_limits_server, stack):
    # registered on that server: without Redis, sessions live in the process that made them
    url = default_limits_server.url
    user, token = register(url)
    room = Api(url, token).post("/api/rooms", {"name": f"flood-{user['id']}"}).json()["room"]
    a = SioClient(url, token)
    a.call("join", {"room": room["name"]})
    # fired back to back without waiting for acks, as a flooding client would
    acks = []
    for i in range(60):
        a.sio.emit("send", {"room": room["name"], "body": f"flood {i}"}, callback=acks.append)
    deadline = time.monotonic() + 20
    while len(acks) < 60 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(acks) == 60
    ok = [x for x in acks if x["ok"]]
    limited = [x for x in acks if not x["ok"]]
    assert limited and all(x["error"]["code"] == "rate_limited" for x in limited)
    assert limited[0]["error"]["retry_after"] > 0
    assert 20 <= len(ok) < 60
    stored = stack.db.scalar(
        "SELECT count(*) FROM messages WHERE user_id = :u AND body LIKE 'flood %'", u=user["id"]
    )
    assert stored == len(ok)
    time.sleep(0.3)  # tokens come back at 10 a second
    assert a.call("send", {"room": room["name"], "body": "after the wait"})["ok"]
    a.close()


# --------------------------------------------------------------------------- edit / delete
def test_edit_own_message_broadcasts_update(alice, bob, room, make_client):
    a = make_client(alice[1])
    b = make_client(bob[1])
    a.call("join", {"room": room["name"]})
    b.call("join", {"room": room["name"]})
    msg = a.call("send", {"room": room["name"], "body": "typo"})["message"]
    ack = a.call("edit", {"id": msg["id"], "body": "fixed"})
    assert ack["ok"] and ack["message"]["body"] == "fixed" and ISO_Z.match(ack["message"]["edited_at"])
    assert ack["message"]["id"] == msg["id"] and ack["message"]["created_at"] == msg["created_at"]
    assert b.wait_for("message_updated") == ack["message"]
    refused(b.call("edit", {"id": msg["id"], "body": "not yours"}), "forbidden")
    refused(a.call("edit", {"id": msg["id"], "body": "x" * 4001}), "too_large")
    refused(a.call("edit", {"id": msg["id"], "body": "  "}), "invalid_payload")


def test_room_owner_may_delete_but_never_edit_others_messages(alice, bob, room, make_client, base):
    owner = make_client(alice[1])
    b = make_client(bob[1])
    owner.call("join", {"room": room["name"]})
    b.call("join", {"room": room["name"]})
    msg = b.call("send", {"room": room["name"], "body": "spam"})["message"]
    refused(owner.call("edit", {"id": msg["id"], "body": "censored"}), "forbidden")
    assert owner.call("delete", {"id": msg["id"]}) == {"ok": True}
    assert b.wait_for("message_deleted") == {"id": msg["id"], "room": room["name"]}
    history = Api(base, alice[1]).get(f"/api/rooms/{room['name']}/messages").json()["messages"]
    assert msg["id"] not in [m["id"] for m in history]
    assert msg["id"] not in [m["id"] for m in b.call("join", {"room": room["name"]})["messages"]]
    refused(b.call("edit", {"id": msg["id"], "body": "back"}), "not_found")
    refused(b.call("delete", {"id": msg["id"]}), "not_found")


def test_only_author_or_owner_deletes(alice, bob, make_user, room, make_client):
    _, ctok = make_user()
    a = make_client(alice[1])
    b = make_client(bob[1])
    c = make_client(ctok)
    for x in (a, b, c):
        x.call("join", {"room": room["name"]})
    msg = b.call("send", {"room": room["name"], "body": "mine"})["message"]
    refused(c.call("delete", {"id": msg["id"]}), "forbidden")
    assert b.call("delete", {"id": msg["id"]}) == {"ok": True}


def test_edit_and_delete_unknown_ids_are_not_found(alice, make_client):
    a = make_client(alice[1])
    refused(a.call("edit", {"id": 10**12, "body": "x"}), "not_found")
    refused(a.call("delete", {"id": 10**12}), "not_found")


# --------------------------------------------------------------------------- typing
def test_typing_goes_to_the_others_and_needs_a_joined_room(alice, bob, room, make_client):
    a = make_client(alice[1])
    b = make_client(bob[1])
    refused(a.call("typing", {"room": room["name"]}), "forbidden")
    refused(a.call("typing", {"room": "no-such-room-zz"}), "not_found")
    a.call("join", {"room": room["name"]})
    b.call("join", {"room": room["name"]})
    assert a.call("typing", {"room": room["name"]}) == {"ok": True}
    assert b.wait_for("typing") == {"room": room["name"], "user": alice[0]["username"]}
    a.drain(0.3)
    assert a.received("typing") == []


def test_reconnect_with_since_returns_everything_missed(alice, bob, room, make_client):
    a = make_client(alice[1])
    b = make_client(bob[1])
    a.call("join", {"room": room["name"]})
    ack = b.call("join", {"room": room["name"]})
    seen = a.call("send", {"room": room["name"], "body": "before"})["message"]["id"]
    b.wait_for("message", lambda m: m["id"] == seen)
    b.close()
    missed = [
        a.call("send", {"room": room["name"], "body": f"missed {i}"})["message"]["id"] for i in range(5)
    ]
    b2 = make_client(bob[1])
    ack = b2.call("join", {"room": room["name"], "since": seen})
    assert [m["id"] for m in ack["messages"]] == missed
