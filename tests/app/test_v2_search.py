"""Contract 4.6: search finds what the caller may read, by every word, accents and case
aside, prefixes included, newest first; never what they may not read."""

from __future__ import annotations

import uuid

import pytest


def send(client, room, body, **extra):
    ack = client.call("send", {"room": room, "body": body, **extra})
    assert ack["ok"], ack
    return ack["message"]


def search(api, token, **params):
    r = api(token).get("/api/search", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def word() -> str:
    """A word no other test uses, so results are this test's own."""
    return "zq" + uuid.uuid4().hex[:10]


def test_every_word_prefixes_accents_and_case(alice, room_factory, api, make_client):
    room = room_factory(alice[1])["name"]
    a = make_client(alice[1])
    a.call("join", {"room": room})
    w = word()
    m1 = send(a, room, f"Le Café {w} est ouvert!")
    m2 = send(a, room, f"{w}, café-crème")
    send(a, room, f"{w} only")
    hits = search(api, alice[1], q=f"CAFE {w}")
    assert [m["id"] for m in hits["messages"]] == [m2["id"], m1["id"]] and hits["more"] is False
    assert [m["id"] for m in search(api, alice[1], q=f"caf {w[:6]}")["messages"]] == [m2["id"], m1["id"]]
    assert search(api, alice[1], q=f"ouvert {w} crème")["messages"] == []
    page = search(api, alice[1], q=w, limit=2)
    assert len(page["messages"]) == 2 and page["more"] is True
    older = search(api, alice[1], q=w, before=page["messages"][-1]["id"])
    assert [m["id"] for m in older["messages"]] == [m1["id"]]
    assert [m["id"] for m in search(api, alice[1], q=w, room=room)["messages"]][-1] == m1["id"]


def test_edits_deletions_and_replies(alice, room_factory, api, make_client):
    room = room_factory(alice[1])["name"]
    a = make_client(alice[1])
    a.call("join", {"room": room})
    old, new = word(), word()
    msg = send(a, room, f"first {old}")
    reply = send(a, room, f"reply {old}", thread=msg["id"])
    a.call("edit", {"id": msg["id"], "body": f"second {new}"})
    assert [m["id"] for m in search(api, alice[1], q=old)["messages"]] == [reply["id"]]
    assert [m["id"] for m in search(api, alice[1], q=new)["messages"]] == [msg["id"]]
    a.call("delete", {"id": reply["id"]})
    assert search(api, alice[1], q=old)["messages"] == []


def test_only_what_the_caller_may_read(alice, bob, make_user, room_factory, api, make_client):
    carol = make_user()
    w = word()
    a = make_client(alice[1])
    private = room_factory(alice[1], private=True)["name"]
    public = room_factory(alice[1])["name"]
    banned_from = room_factory(alice[1])["name"]
    for room in (private, public, banned_from):
        a.call("join", {"room": room})
        send(a, room, f"{w} in {room}")
    dm = api(alice[1]).post("/api/dms", {"username": carol[0]["username"]}).json()["room"]["name"]
    a.call("join", {"room": dm})
    send(a, dm, f"{w} between alice and carol")
    b = make_client(bob[1])
    assert search(api, bob[1], q=w)["messages"] == []  # a public room they never joined: not theirs
    b.call("join", {"room": public})
    b.call("join", {"room": banned_from})
    assert {m["room"] for m in search(api, bob[1], q=w)["messages"]} == {public, banned_from}
    api(alice[1]).post(f"/api/rooms/{banned_from}/bans", {"username": bob[0]["username"]})
    assert {m["room"] for m in search(api, bob[1], q=w)["messages"]} == {public}
    assert {m["room"] for m in search(api, carol[1], q=w)["messages"]} == {dm}
    assert api(bob[1]).get("/api/search", params={"q": w, "room": private}).status_code == 403
    assert api(bob[1]).get("/api/search", params={"q": w, "room": banned_from}).status_code == 403
    assert api(bob[1]).get("/api/search", params={"q": w, "room": "no-such-room-x"}).status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": ""},
        {"q": "   "},
        {"q": "x" * 201},
        {"q": "a", "limit": "0"},
        {"q": "a", "limit": "51"},
        {"q": "a", "before": "\u00b9"},
        {"q": "a", "limit": "\u0665"},
    ],
)
def test_bad_search_queries_are_invalid(alice, api, params):
    r = api(alice[1]).get("/api/search", params=params)
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_payload"


def test_search_needs_a_token(api):
    assert api(None).get("/api/search", params={"q": "x"}).status_code == 401
