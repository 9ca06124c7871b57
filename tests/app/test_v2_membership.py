"""Contract 4.1 and 4.2: membership of public rooms, leaving, removing, banning; direct
messages; member_added / member_removed to the room and to every socket of the user."""

from __future__ import annotations

import pytest

from tests.support.client import refused


def status(resp, code):
    assert resp.status_code == code, resp.text
    return resp


@pytest.fixture
def owner(make_user):
    return make_user()


@pytest.fixture
def other(make_user):
    return make_user()


def rooms_of(api, token) -> dict:
    return {r["name"]: r for r in api(token).get("/api/rooms").json()["rooms"]}


# ------------------------------------------------------------------------------ public rooms
def test_joining_a_public_room_makes_a_member_until_they_leave(owner, other, api, room_factory, make_client):
    room = room_factory(owner[1])
    assert rooms_of(api, other[1])[room["name"]]["member"] is False
    assert "unread" not in rooms_of(api, other[1])[room["name"]]
    watcher = make_client(owner[1])
    watcher.call("join", {"room": room["name"]})
    c = make_client(other[1])
    ack = c.call("join", {"room": room["name"]})
    assert ack["ok"] and ack["room"]["kind"] == "room" and "last_read" in ack
    added = watcher.wait_for("member_added", lambda d: d["user"] == other[0]["username"])
    assert added["room"]["name"] == room["name"]
    c.call("leave", {"room": room["name"]})  # the socket leaves; the membership stays
    listed = rooms_of(api, other[1])[room["name"]]
    assert listed["member"] is True and listed["unread"] == 0 and listed["mentions"] == 0
    members = status(api(other[1]).get(f"/api/rooms/{room['name']}/members"), 200).json()["members"]
    assert sorted(m["username"] for m in members) == sorted([owner[0]["username"], other[0]["username"]])
    assert {m["username"]: m["role"] for m in members}[owner[0]["username"]] == "owner"
    # leaving for good: themselves through the HTTP API
    status(api(other[1]).call("DELETE", f"/api/rooms/{room['name']}/members/{other[0]['username']}"), 204)
    watcher.wait_for("member_removed", lambda d: d == {"room": room["name"], "user": other[0]["username"]})
    assert rooms_of(api, other[1])[room["name"]]["member"] is False


def test_member_list_is_sorted_by_username(owner, make_user, api, room_factory, make_client):
    room = room_factory(owner[1])
    for _ in range(3):
        _, token = make_user()
        make_client(token).call("join", {"room": room["name"]})
    names = [m["username"] for m in api(owner[1]).get(f"/api/rooms/{room['name']}/members").json()["members"]]
    assert names == sorted(names, key=str.lower)


def test_the_owner_cannot_leave_their_own_room(owner, api, room_factory):
    room = room_factory(owner[1])
    r = api(owner[1]).call("DELETE", f"/api/rooms/{room['name']}/members/{owner[0]['username']}")
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_payload"


def test_only_the_owner_removes_and_bans(owner, other, make_user, api, room_factory, make_client):
    room = room_factory(owner[1])
    third = make_user()
    make_client(third[1]).call("join", {"room": room["name"]})
    base = f"/api/rooms/{room['name']}"
    assert api(other[1]).call("DELETE", f"{base}/members/{third[0]['username']}").status_code == 403
    assert api(other[1]).post(f"{base}/bans", {"username": third[0]["username"]}).status_code == 403
    assert api(other[1]).call("DELETE", f"{base}/bans/{third[0]['username']}").status_code == 403
    assert api(owner[1]).post(f"{base}/bans", {"username": owner[0]["username"]}).status_code == 400
    assert api(owner[1]).post(f"{base}/bans", {"username": "nobody-like-this"}).status_code == 404
    assert api(owner[1]).call("DELETE", f"{base}/members/nobody-like-this").status_code == 404


def test_a_removed_member_of_a_private_room_loses_it_at_once(owner, other, api, room_factory, make_client):
    room = room_factory(owner[1], private=True)
    theirs = make_client(other[1])  # connected before: the room appears live
    status(api(owner[1]).post(f"/api/rooms/{room['name']}/members", {"username": other[0]["username"]}), 204)
    added = theirs.wait_for("member_added", lambda d: d["room"]["name"] == room["name"])
    assert added["user"] == other[0]["username"] and added["room"]["private"] is True
    assert theirs.call("join", {"room": room["name"]})["ok"]
    status(api(owner[1]).call("DELETE", f"/api/rooms/{room['name']}/members/{other[0]['username']}"), 204)
    theirs.wait_for("member_removed", lambda d: d == {"room": room["name"], "user": other[0]["username"]})
    refused(theirs.call("send", {"room": room["name"], "body": "still here?"}), "forbidden")
    assert api(other[1]).get(f"/api/rooms/{room['name']}/messages").status_code == 403
    assert room["name"] not in rooms_of(api, other[1])


def test_a_ban_keeps_them_out_until_lifted(owner, other, api, room_factory, make_client):
    room = room_factory(owner[1])
    theirs = make_client(other[1])
    assert theirs.call("join", {"room": room["name"]})["ok"]
    mine = make_client(owner[1])
    mine.call("join", {"room": room["name"]})
    msg = mine.call("send", {"room": room["name"], "body": "before the ban"})["message"]
    base = f"/api/rooms/{room['name']}"
    status(api(owner[1]).post(f"{base}/bans", {"username": other[0]["username"]}), 204)
    theirs.wait_for("member_removed", lambda d: d["user"] == other[0]["username"])
    refused(theirs.call("send", {"room": room["name"], "body": "let me in"}), "forbidden")
    refused(theirs.call("join", {"room": room["name"]}), "forbidden")
    refused(theirs.call("react", {"id": msg["id"], "emoji": "👍", "on": True}), "forbidden")
    assert api(other[1]).get(f"{base}/messages").status_code == 403
    assert api(other[1]).get(f"{base}/members").status_code == 403
    upload = api(other[1]).post(
        "/api/uploads", {"room": room["name"], "filename": "a.png", "content_type": "image/png", "size": 10}
    )
    assert upload.status_code in (403, 503)  # forbidden, or uploads off on this server
    if upload.status_code == 503:
        assert upload.json()["error"]["code"] == "unavailable"
    status(api(owner[1]).call("DELETE", f"{base}/bans/{other[0]['username']}"), 204)
    assert theirs.call("join", {"room": room["name"]})["ok"]


def test_banning_a_non_member_succeeds_and_keeps_them_out(owner, other, api, room_factory, make_client):
    room = room_factory(owner[1])
    status(api(owner[1]).post(f"/api/rooms/{room['name']}/bans", {"username": other[0]["username"]}), 204)
    refused(make_client(other[1]).call("join", {"room": room["name"]}), "forbidden")


# ------------------------------------------------------------------------------ direct messages
def test_a_dm_is_created_once_for_the_pair_and_appears_for_both(owner, other, api, make_client):
    theirs = make_client(other[1])
    first = api(owner[1]).post("/api/dms", {"username": other[0]["username"]})
    assert first.status_code == 201
    room = first.json()["room"]
    assert room["kind"] == "dm" and room["private"] is True and room["owner"] is None
    assert room["dm_with"] == other[0]["username"]
    added = theirs.wait_for("member_added", lambda d: d["room"]["name"] == room["name"])
    assert added == {"room": {**room, "dm_with": owner[0]["username"]}, "user": other[0]["username"]}
    again = api(other[1]).post("/api/dms", {"username": owner[0]["username"].upper()})
    assert again.status_code == 200 and again.json()["room"]["name"] == room["name"]
    assert again.json()["room"]["dm_with"] == owner[0]["username"]
    assert rooms_of(api, owner[1])[room["name"]]["member"] is True
    assert rooms_of(api, other[1])[room["name"]]["dm_with"] == owner[0]["username"]
    assert make_client(other[1]).call("join", {"room": room["name"]})["ok"]


def test_a_note_to_self_names_oneself(owner, api):
    r = api(owner[1]).post("/api/dms", {"username": owner[0]["username"]})
    assert r.status_code == 201 and r.json()["room"]["dm_with"] == owner[0]["username"]


def test_dm_rules(owner, other, make_user, api, make_client):
    outsider = make_user()
    assert api(owner[1]).post("/api/dms", {"username": "nobody-like-this"}).status_code == 404
    assert api(owner[1]).post("/api/dms", {}).status_code == 400
    room = api(owner[1]).post("/api/dms", {"username": other[0]["username"]}).json()["room"]
    base = f"/api/rooms/{room['name']}"
    for token in (owner[1], other[1]):  # its two users: invalid_payload, before ownership
        assert api(token).post(f"{base}/members", {"username": outsider[0]["username"]}).status_code == 400
        assert api(token).post(f"{base}/bans", {"username": outsider[0]["username"]}).status_code == 400
        assert api(token).call("DELETE", f"{base}/members/{other[0]['username']}").status_code == 400
    refused(make_client(outsider[1]).call("join", {"room": room["name"]}), "forbidden")
    assert api(outsider[1]).get(f"{base}/messages").status_code == 403
    assert api(outsider[1]).get(f"{base}/members").status_code == 403
    assert room["name"] not in rooms_of(api, outsider[1])
