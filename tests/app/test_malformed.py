"""Malformed payloads: an `ok: false` ack with the right code, never a disconnect, never a write."""

import pytest

HUGE = "x" * 200_000


@pytest.fixture(scope="module")
def setup(server):
    from tests.support.client import Api, SioClient, register

    user, token = register(server.url)
    room = Api(server.url, token).post("/api/rooms", {"name": f"mal-{user['id']}"}).json()["room"]["name"]
    c = SioClient(server.url, token)
    assert c.call("join", {"room": room})["ok"]
    msg = c.call("send", {"room": room, "body": "original"})["message"]
    yield c, room, msg
    c.close()


def table_counts(db):
    return {
        t: db.scalar(f"SELECT count(*) FROM {t}")
        for t in ("users", "rooms", "members", "messages", "uploads")
    }


def cases(room_placeholder="ROOM", mid_placeholder="MID"):
    r, m = room_placeholder, mid_placeholder
    not_objects = [None, 1, "text", ["list"], True, 3.5]
    out = []
    for event in ("join", "leave", "send", "edit", "delete", "typing"):
        for bad in not_objects:
            out.append((event, bad, "invalid_payload"))
    out += [
        ("join", {}, "invalid_payload"),
        ("join", {"room": 5}, "invalid_payload"),
        ("join", {"room": "UPPER"}, "invalid_payload"),
        ("join", {"room": HUGE}, "invalid_payload"),
        ("join", {"room": r, "since": "5"}, "invalid_payload"),
        ("join", {"room": r, "since": -1}, "invalid_payload"),
        ("join", {"room": r, "since": True}, "invalid_payload"),
        ("join", {"room": r, "since": 1.5}, "invalid_payload"),
        ("join", {"room": "no-such-room-here"}, "not_found"),
        ("leave", {"room": ["x"]}, "invalid_payload"),
        ("send", {"room": r}, "invalid_payload"),
        ("send", {"body": "hi"}, "invalid_payload"),
        ("send", {"room": r, "body": 5}, "invalid_payload"),
        ("send", {"room": r, "body": None}, "invalid_payload"),
        ("send", {"room": r, "body": ["a"]}, "invalid_payload"),
        ("send", {"room": r, "body": {"x": 1}}, "invalid_payload"),
        ("send", {"room": r, "body": HUGE}, "too_large"),
        ("send", {"room": r, "body": " \t\n"}, "invalid_payload"),
        ("send", {"room": r, "body": "ok", "client_id": 7}, "invalid_payload"),
        ("send", {"room": r, "body": "ok", "client_id": ""}, "invalid_payload"),
        ("send", {"room": r, "body": "ok", "client_id": "c" * 65}, "invalid_payload"),
        ("send", {"room": r, "body": "ok", "attachment": 12}, "invalid_payload"),
        ("send", {"room": "no-such-room-here", "body": "hi"}, "not_found"),
        ("edit", {"id": m}, "invalid_payload"),
        ("edit", {"body": "x"}, "invalid_payload"),
        ("edit", {"id": "1", "body": "x"}, "invalid_payload"),
        ("edit", {"id": 0, "body": "x"}, "invalid_payload"),
        ("edit", {"id": True, "body": "x"}, "invalid_payload"),
        ("edit", {"id": 2**70, "body": "x"}, "invalid_payload"),
        ("edit", {"id": m, "body": HUGE}, "too_large"),
        ("edit", {"id": m, "body": ""}, "invalid_payload"),
        ("delete", {}, "invalid_payload"),
        ("delete", {"id": None}, "invalid_payload"),
        ("delete", {"id": [1]}, "invalid_payload"),
        ("delete", {"id": -3}, "invalid_payload"),
        ("typing", {}, "invalid_payload"),
        ("typing", {"room": None}, "invalid_payload"),
        ("typing", {"room": "no-such-room-here"}, "not_found"),
    ]
    return out


def fill(value, room, mid):
    if value == "ROOM":
        return room
    if value == "MID":
        return mid
    if isinstance(value, dict):
        return {k: fill(v, room, mid) for k, v in value.items()}
    return value


@pytest.mark.parametrize(("event", "payload", "code"), cases(), ids=lambda v: repr(v)[:40])
def test_malformed_event_gets_an_error_ack_and_changes_nothing(setup, stack, event, payload, code):
    c, room, msg = setup
    before = table_counts(stack.db)
    ack = c.call(event, fill(payload, room, msg["id"]))
    assert ack["ok"] is False and ack["error"]["code"] == code, ack
    assert c.sio.connected
    assert table_counts(stack.db) == before
    assert stack.db.scalar("SELECT body FROM messages WHERE id = :i", i=msg["id"]) == "original"


def test_event_with_no_payload_or_extra_arguments_is_refused_not_fatal(setup):
    c, room, _ = setup
    assert c.sio.call("send", timeout=10)["error"]["code"] == "invalid_payload"
    assert c.sio.call("send", ({"room": room, "body": "x"}, "extra"), timeout=10)["ok"] in (True, False)
    assert c.sio.connected
    assert c.call("send", {"room": room, "body": "still fine"})["ok"]


def test_unknown_event_is_answered_not_found_and_the_socket_stays(setup):
    c, room, _ = setup
    ack = c.call("no_such_event", {"x": 1})
    assert ack["ok"] is False and ack["error"]["code"] == "not_found"
    c.sio.emit("no_such_event", {"x": 1})  # without an ack: nothing to answer
    assert c.call("send", {"room": room, "body": "after unknown"})["ok"]
    assert c.sio.connected


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_a_million_character_body_is_too_large_not_a_crash_on_either_transport(server, transport):
    """The contract's answer for any body over the cap as sent, however far over (a frame under
    the transport's 1 MiB limit is parsed and answered)."""
    import socketio

    from tests.support.client import Api, register

    user, token = register(server.url)
    room = Api(server.url, token).post("/api/rooms", {"name": f"big-{transport}-{user['id']}"}).json()["room"]
    client = socketio.SimpleClient()
    client.connect(server.url, auth={"token": token}, transports=[transport], wait_timeout=10)
    try:
        assert client.call("join", {"room": room["name"]}, timeout=10)["ok"]
        ack = client.call("send", {"room": room["name"], "body": "x" * 1_000_000}, timeout=20)
        assert ack["ok"] is False and ack["error"]["code"] == "too_large", ack
        assert client.call("send", {"room": room["name"], "body": "still here"}, timeout=10)["ok"]
    finally:
        client.disconnect()
