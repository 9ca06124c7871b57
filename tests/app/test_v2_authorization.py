"""Authorization matrix of the v2 endpoints and events: anonymous, non-member, member,
banned, owner, DM participant and DM outsider, against a private room, a public room and a
DM. Successful changes are tested where they change something (test_v2_membership.py); here
every refusal, and every read that must succeed."""

from __future__ import annotations

import pytest

from tests.support.client import Api, SioClient, register


@pytest.fixture(scope="module")
def world(server):
    base = server.url
    users = {role: register(base) for role in ("owner", "member", "banned", "non_member", "dm_outsider")}
    tok = {role: t for role, (_, t) in users.items()}
    name = {role: u["username"] for role, (u, _) in users.items()}
    owner = Api(base, tok["owner"])
    private = owner.post("/api/rooms", {"name": f"authz2-{users['owner'][0]['id']}", "private": True}).json()
    public = owner.post("/api/rooms", {"name": f"authz2p-{users['owner'][0]['id']}"}).json()
    private, public = private["room"]["name"], public["room"]["name"]
    for room in (private, public):
        if room == private:
            for role in ("member", "banned"):
                owner.post(f"/api/rooms/{room}/members", {"username": name[role]})
        for role in ("owner", "member", "banned"):
            c = SioClient(base, tok[role])
            assert c.call("join", {"room": room})["ok"]
            c.close()
    o = SioClient(base, tok["owner"])
    msgs = {}
    for room in (private, public):
        o.call("join", {"room": room})
        msgs[room] = o.call("send", {"room": room, "body": "owner's"})["message"]["id"]
    o.close()
    for room in (private, public):
        assert owner.post(f"/api/rooms/{room}/bans", {"username": name["banned"]}).status_code == 204
    dm = Api(base, tok["member"]).post("/api/dms", {"username": name["owner"]}).json()["room"]["name"]
    m = SioClient(base, tok["member"])
    m.call("join", {"room": dm})
    msgs[dm] = m.call("send", {"room": dm, "body": "just us"})["message"]["id"]
    m.close()
    tok["anonymous"] = None
    tok["dm_participant"] = tok["member"]
    return {
        "base": base,
        "tok": tok,
        "name": name,
        "private": private,
        "public": public,
        "dm": dm,
        "msgs": msgs,
    }


R, P, D = "{private}", "{public}", "{dm}"
# (method, path, body, {role: status})
HTTP = [
    (
        "GET",
        f"/api/rooms/{R}/members",
        None,
        {"anonymous": 401, "non_member": 403, "banned": 403, "member": 200, "owner": 200},
    ),
    (
        "GET",
        f"/api/rooms/{P}/members",
        None,
        {"anonymous": 401, "non_member": 200, "banned": 403, "member": 200},
    ),
    ("GET", f"/api/rooms/{P}/messages", None, {"non_member": 200, "banned": 403}),
    ("GET", f"/api/rooms/{D}/members", None, {"dm_participant": 200, "dm_outsider": 403, "anonymous": 401}),
    ("GET", f"/api/rooms/{D}/messages", None, {"dm_participant": 200, "dm_outsider": 403}),
    (
        "DELETE",
        f"/api/rooms/{R}/members/{{member}}",
        None,
        {"anonymous": 401, "non_member": 403, "banned": 403},
    ),
    ("DELETE", f"/api/rooms/{P}/members/{{member}}", None, {"non_member": 403, "banned": 403}),
    (
        "POST",
        f"/api/rooms/{R}/bans",
        {"username": "{member}"},
        {"anonymous": 401, "non_member": 403, "member": 403, "banned": 403},
    ),
    ("POST", f"/api/rooms/{R}/bans", {"username": "{owner}"}, {"owner": 400}),
    (
        "DELETE",
        f"/api/rooms/{R}/bans/{{banned}}",
        None,
        {"anonymous": 401, "non_member": 403, "member": 403, "banned": 403},
    ),
    (
        "POST",
        f"/api/rooms/{D}/members",
        {"username": "{non_member}"},
        {"dm_participant": 400, "dm_outsider": 403},
    ),
    (
        "POST",
        f"/api/rooms/{D}/bans",
        {"username": "{non_member}"},
        {"dm_participant": 400, "dm_outsider": 403},
    ),
    ("DELETE", f"/api/rooms/{D}/members/{{owner}}", None, {"dm_participant": 400, "dm_outsider": 403}),
    ("POST", "/api/dms", {"username": "{owner}"}, {"anonymous": 401, "non_member": 201}),
    ("GET", "/api/search?q=owner", None, {"anonymous": 401, "non_member": 200, "banned": 200, "member": 200}),
    (
        "GET",
        f"/api/search?q=owner&room={R}",
        None,
        {"non_member": 403, "banned": 403, "member": 200, "owner": 200},
    ),
    ("GET", f"/api/search?q=just&room={D}", None, {"dm_participant": 200, "dm_outsider": 403}),
]

CASES = [
    pytest.param(method, path, body, role, status, id=f"{method} {path} as {role}")
    for method, path, body, expected in HTTP
    for role, status in expected.items()
]


def fmt(world, text: str) -> str:
    return text.format(private=world["private"], public=world["public"], dm=world["dm"], **world["name"])


@pytest.mark.parametrize(("method", "path", "body", "role", "status"), CASES)
def test_http_matrix(world, method, path, body, role, status):
    payload = {k: fmt(world, v) for k, v in body.items()} if body else None
    r = Api(world["base"], world["tok"][role]).call(method, fmt(world, path), json=payload)
    assert r.status_code == status, r.text
    if status >= 400:
        codes = {400: "invalid_payload", 401: "unauthorized", 403: "forbidden"}
        assert r.json()["error"]["code"] == codes[status]


# (event, payload, room key, {role: expected error code or None for ok})
EVENTS = [
    (
        "react",
        {"emoji": "👍", "on": True},
        "private",
        {"non_member": "forbidden", "banned": "forbidden", "member": None},
    ),
    ("react", {"emoji": "👍", "on": True}, "public", {"non_member": None, "banned": "forbidden"}),
    ("react", {"emoji": "👍", "on": True}, "dm", {"dm_participant": None, "dm_outsider": "forbidden"}),
    ("read", {}, "private", {"non_member": "forbidden", "banned": "forbidden", "member": None}),
    ("read", {}, "public", {"non_member": "forbidden", "banned": "forbidden", "owner": None}),
    ("read", {}, "dm", {"dm_participant": None, "dm_outsider": "forbidden"}),
    ("join", {}, "private", {"banned": "forbidden", "non_member": "forbidden", "member": None}),
    ("join", {}, "dm", {"dm_outsider": "forbidden", "dm_participant": None}),
]

EVENT_CASES = [
    pytest.param(event, payload, room, role, code, id=f"{event} {room} as {role}")
    for event, payload, room, expected in EVENTS
    for role, code in expected.items()
]


@pytest.mark.parametrize(("event", "payload", "room", "role", "code"), EVENT_CASES)
def test_event_matrix(world, event, payload, room, role, code):
    name = world[room]
    data = dict(payload)
    if event == "react":
        data["id"] = world["msgs"][name]
    elif event == "read":
        data.update(room=name, id=world["msgs"][name])
    else:
        data["room"] = name
    c = SioClient(world["base"], world["tok"][role])
    try:
        ack = c.call(event, data)
    finally:
        c.close()
    if code is None:
        assert ack["ok"], ack
    else:
        assert ack["ok"] is False and ack["error"]["code"] == code, ack
