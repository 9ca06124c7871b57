"""Authorization matrix: every endpoint and event against anonymous, non-member, member, owner.

The room under test is private, so "non-member" is a logged-in user outside it. For public
rooms every logged-in user is a member; `test_public_room_is_open_to_every_user` covers that.
"""

import pytest
import socketio

from tests.support.client import Api, SioClient, register


@pytest.fixture(scope="module")
def world(server):
    base = server.url
    owner, otok = register(base)
    member, mtok = register(base)
    outsider, xtok = register(base)
    room = (
        Api(base, otok).post("/api/rooms", {"name": f"authz-{owner['id']}", "private": True}).json()["room"]
    )
    Api(base, otok).post(f"/api/rooms/{room['name']}/members", {"username": member["username"]})
    o = SioClient(base, otok)
    o.call("join", {"room": room["name"]})
    owners_msg = o.call("send", {"room": room["name"], "body": "owner's"})["message"]
    o.close()
    return {
        "base": base,
        "room": room["name"],
        "tokens": {"anonymous": None, "non_member": xtok, "member": mtok, "owner": otok},
        "users": {"owner": owner, "member": member, "non_member": outsider},
        "owners_msg": owners_msg,
    }


# expected HTTP status per role: (method, path template, body)
HTTP_MATRIX = [
    ("GET", "/api/me", None, {"anonymous": 401, "non_member": 200, "member": 200, "owner": 200}),
    ("GET", "/api/rooms", None, {"anonymous": 401, "non_member": 200, "member": 200, "owner": 200}),
    ("POST", "/api/logout", None, {"anonymous": 401}),
    (
        "GET",
        "/api/rooms/{room}/messages",
        None,
        {"anonymous": 401, "non_member": 403, "member": 200, "owner": 200},
    ),
    (
        "POST",
        "/api/rooms/{room}/members",
        {"username": "{member}"},
        {"anonymous": 401, "non_member": 403, "member": 403, "owner": 204},
    ),
    ("POST", "/api/rooms", {"name": "authz-new-{role}"}, {"anonymous": 401, "non_member": 201}),
]


HTTP_CASES = [
    pytest.param(method, path, body, role, status, id=f"{method} {path} as {role}")
    for method, path, body, expected in HTTP_MATRIX
    for role, status in expected.items()
]


@pytest.mark.parametrize(("method", "path", "body", "role", "status"), HTTP_CASES)
def test_http_matrix(world, method, path, body, role, status):
    fmt = {
        "room": world["room"],
        "member": world["users"]["member"]["username"],
        "role": role.replace("_", ""),
    }
    url = path.format(**fmt)
    payload = {k: v.format(**fmt) for k, v in body.items()} if body else None
    r = Api(world["base"], world["tokens"][role]).call(method, url, json=payload)
    assert r.status_code == status, r.text
    if r.status_code >= 400:
        assert r.json()["error"]["code"] == {401: "unauthorized", 403: "forbidden"}[r.status_code]


def test_uploads_need_authentication(world):
    r = Api(world["base"]).post(
        "/api/uploads", {"room": world["room"], "filename": "a.png", "content_type": "image/png", "size": 10}
    )
    assert r.status_code == 401
    r = Api(world["base"]).get("/api/uploads/rooms/1/x")
    assert r.status_code == 401


def test_anonymous_socket_is_refused(world):
    with pytest.raises(socketio.exceptions.ConnectionError):
        SioClient(world["base"], None)


EVENT_EXPECTED = {
    # event: (payload builder, expected code per role or "ok")
    "join": {"non_member": "forbidden", "member": "ok", "owner": "ok"},
    "send": {"non_member": "forbidden", "member": "ok", "owner": "ok"},
    "typing": {"non_member": "forbidden", "member": "ok", "owner": "ok"},
    "leave": {"non_member": "ok", "member": "ok", "owner": "ok"},
}


@pytest.mark.parametrize("role", ("non_member", "member", "owner"))
@pytest.mark.parametrize("event", sorted(EVENT_EXPECTED))
def test_room_events_matrix(world, role, event):
    c = SioClient(world["base"], world["tokens"][role])
    try:
        join = c.call("join", {"room": world["room"]})
        payload = {"room": world["room"]}
        if event == "send":
            payload["body"] = f"from {role}"
        ack = join if event == "join" else c.call(event, payload)
        want = EVENT_EXPECTED[event][role]
        if want == "ok":
            assert ack["ok"] is True, ack
        else:
            assert ack == {"ok": False, "error": {"code": want, "message": ack["error"]["message"]}}
    finally:
        c.close()


def _fresh_message(world, author_role):
    c = SioClient(world["base"], world["tokens"][author_role])
    c.call("join", {"room": world["room"]})
    msg = c.call("send", {"room": world["room"], "body": f"by {author_role}"})["message"]
    c.close()
    return msg


@pytest.mark.parametrize(
    ("actor", "author", "edit", "delete"),
    [
        ("member", "member", "ok", "ok"),
        ("owner", "owner", "ok", "ok"),
        ("owner", "member", "forbidden", "ok"),  # owners delete others' messages, never edit them
        ("member", "owner", "forbidden", "forbidden"),
        ("non_member", "member", "forbidden", "forbidden"),
    ],
)
def test_edit_and_delete_matrix(world, actor, author, edit, delete):
    msg = _fresh_message(world, author)
    c = SioClient(world["base"], world["tokens"][actor])
    try:
        for event, payload, want in (
            ("edit", {"id": msg["id"], "body": "changed"}, edit),
            ("delete", {"id": msg["id"]}, delete),
        ):
            ack = c.call(event, payload)
            assert ack["ok"] == (want == "ok"), (event, ack)
            if want != "ok":
                assert ack["error"]["code"] == want, (event, ack)
    finally:
        c.close()


def test_public_room_is_open_to_every_user(server):
    base = server.url
    owner, otok = register(base)
    _, xtok = register(base)
    name = f"open-{owner['id']}"
    Api(base, otok).post("/api/rooms", {"name": name, "private": False})
    assert Api(base, xtok).get(f"/api/rooms/{name}/messages").status_code == 200
    c = SioClient(base, xtok)
    try:
        assert c.call("join", {"room": name})["ok"]
        assert c.call("send", {"room": name, "body": "hello"})["ok"]
    finally:
        c.close()
