"""The HTTP rows of the contract, each with its error codes."""

import json
import uuid

import pytest
import requests

from tests.support.client import Api


def error_of(resp, status, code):
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


# --------------------------------------------------------------------------- accounts
def test_register_returns_user_and_token(base):
    name = f"Alice{uuid.uuid4().hex[:6]}"
    r = requests.post(base + "/api/register", json={"username": name, "password": "password1"})
    assert r.status_code == 201
    body = r.json()
    assert body["user"]["username"] == name
    assert isinstance(body["user"]["id"], int)
    assert len(body["token"]) >= 22  # >= 128 bits, url-safe


def test_usernames_are_unique_regardless_of_case_and_kept_as_typed(base, make_user):
    user, _ = make_user(f"MiXed{uuid.uuid4().hex[:6]}")
    r = requests.post(
        base + "/api/register", json={"username": user["username"].upper(), "password": "password1"}
    )
    error_of(r, 409, "conflict")
    r = requests.post(
        base + "/api/login", json={"username": user["username"].lower(), "password": "correct horse"}
    )
    assert r.status_code == 200
    assert r.json()["user"]["username"] == user["username"]


@pytest.mark.parametrize(
    "payload",
    [
        {"username": "ab", "password": "password1"},
        {"username": "a" * 33, "password": "password1"},
        {"username": "bad name", "password": "password1"},
        {"username": "ümlaut", "password": "password1"},
        {"username": "validname", "password": "short"},
        {"username": "validname", "password": "x" * 129},
        {"username": 123, "password": "password1"},
        {"password": "password1"},
        {"username": "validname"},
        ["not", "an", "object"],
        "just a string",
        None,
    ],
)
def test_register_rejects_malformed_input(base, payload):
    r = requests.post(base + "/api/register", json=payload)
    error_of(r, 400, "invalid_payload")


def test_register_rejects_a_body_that_is_not_json(base):
    r = requests.post(
        base + "/api/register", data=b"\x00\xffnot json", headers={"Content-Type": "application/json"}
    )
    error_of(r, 400, "invalid_payload")
    assert "does not parse" in r.json()["error"]["message"]


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_a_body_without_the_json_content_type_is_told_so(base, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    body = b'{"username": "someone", "password": "long enough"}'
    req = requests.Request("POST", base + "/api/register", data=body, headers=headers).prepare()
    if content_type is None:
        req.headers.pop("Content-Type", None)
    r = requests.Session().send(req, timeout=10)
    error_of(r, 400, "invalid_payload")
    assert "Content-Type: application/json" in r.json()["error"]["message"]


def test_a_chunked_json_body_is_read_and_still_limited(base):
    name = f"chunk{uuid.uuid4().hex[:8]}"
    payload = json.dumps({"username": name, "password": "long enough"}).encode()
    headers = {"Content-Type": "application/json"}
    r = requests.post(base + "/api/register", data=iter([payload[:10], payload[10:]]), headers=headers)
    assert r.status_code == 201, r.text
    assert r.request.headers.get("Transfer-Encoding") == "chunked"
    big = iter([b'{"username": "', b"x" * 40_000, b"x" * 40_000, b'"}'])
    error_of(requests.post(base + "/api/register", data=big, headers=headers), 413, "too_large")


def test_password_limits_are_inclusive(base):
    for pw in ("x" * 8, "y" * 128):
        r = requests.post(
            base + "/api/register", json={"username": f"p{uuid.uuid4().hex[:8]}", "password": pw}
        )
        assert r.status_code == 201, r.text


def test_login_with_wrong_password_or_unknown_user_is_unauthorized(base, make_user):
    user, _ = make_user()
    r = requests.post(base + "/api/login", json={"username": user["username"], "password": "wrong password"})
    error_of(r, 401, "unauthorized")
    r = requests.post(
        base + "/api/login", json={"username": "nobody-" + uuid.uuid4().hex[:6], "password": "whatever1"}
    )
    error_of(r, 401, "unauthorized")


def test_me_requires_a_valid_bearer_token(base, make_user):
    user, token = make_user()
    assert Api(base, token).get("/api/me").json() == {"user": user}
    error_of(Api(base).get("/api/me"), 401, "unauthorized")
    error_of(Api(base, "x" * 43).get("/api/me"), 401, "unauthorized")
    r = requests.get(base + "/api/me", headers={"Authorization": f"Basic {token}"})
    error_of(r, 401, "unauthorized")


def test_each_login_is_its_own_session_and_logout_revokes_only_that_one(base, make_user):
    user, first = make_user()
    second = requests.post(
        base + "/api/login", json={"username": user["username"], "password": "correct horse"}
    ).json()["token"]
    assert first != second
    r = Api(base, first).post("/api/logout")
    assert r.status_code == 204 and r.content == b""
    error_of(Api(base, first).get("/api/me"), 401, "unauthorized")
    assert Api(base, second).get("/api/me").status_code == 200


def test_logout_without_token_is_unauthorized(base):
    error_of(Api(base).post("/api/logout"), 401, "unauthorized")


def test_tokens_are_stored_hashed_never_in_the_database(stack, make_user):
    _, token = make_user()
    dump = " ".join(str(r) for r in stack.db.rows("SELECT username, password_hash FROM users"))
    assert token not in dump
    assert "correct horse" not in dump
    assert all(h.startswith("$argon2id$") for (h,) in stack.db.rows("SELECT password_hash FROM users"))


# --------------------------------------------------------------------------- rooms
def test_create_room_makes_the_creator_owner(base, make_user):
    user, token = make_user()
    name = f"general-{uuid.uuid4().hex[:6]}"
    r = Api(base, token).post("/api/rooms", {"name": name, "private": False})
    assert r.status_code == 201
    assert r.json() == {"room": {"name": name, "private": False, "owner": user["username"], "kind": "room"}}
    error_of(Api(base, token).post("/api/rooms", {"name": name, "private": True}), 409, "conflict")


@pytest.mark.parametrize(
    "payload",
    [
        {"name": "Upper"},
        {"name": ""},
        {"name": "a" * 65},
        {"name": "spa ce"},
        {"name": "ok-name", "private": "yes"},
        {"name": 7},
        {},
        [],
    ],
)
def test_create_room_rejects_bad_names_and_types(base, make_user, payload):
    _, token = make_user()
    error_of(Api(base, token).post("/api/rooms", payload), 400, "invalid_payload")


def test_create_room_requires_auth(base):
    error_of(Api(base).post("/api/rooms", {"name": "whatever"}), 401, "unauthorized")


def test_room_list_has_public_rooms_and_own_private_rooms_only(base, make_user, room_factory):
    owner, otok = make_user()
    other, xtok = make_user()
    pub = room_factory(otok)
    priv = room_factory(otok, private=True)
    mine = {r["name"] for r in Api(base, otok).get("/api/rooms").json()["rooms"]}
    theirs = {r["name"] for r in Api(base, xtok).get("/api/rooms").json()["rooms"]}
    assert {pub["name"], priv["name"]} <= mine
    assert pub["name"] in theirs and priv["name"] not in theirs
    Api(base, otok).post(f"/api/rooms/{priv['name']}/members", {"username": other["username"]})
    theirs = {r["name"] for r in Api(base, xtok).get("/api/rooms").json()["rooms"]}
    assert priv["name"] in theirs


def test_add_member_rules(base, make_user, room_factory):
    owner, otok = make_user()
    member, mtok = make_user()
    stranger, stok = make_user()
    priv = room_factory(otok, private=True)
    pub = room_factory(otok)
    path = f"/api/rooms/{priv['name']}/members"
    assert Api(base, otok).post(path, {"username": member["username"]}).status_code == 204
    # an existing member succeeds again; names are matched regardless of case
    assert Api(base, otok).post(path, {"username": member["username"].upper()}).status_code == 204
    error_of(Api(base, mtok).post(path, {"username": stranger["username"]}), 403, "forbidden")
    error_of(Api(base, stok).post(path, {"username": stranger["username"]}), 403, "forbidden")
    error_of(Api(base, otok).post(path, {"username": "ghost-" + uuid.uuid4().hex[:6]}), 404, "not_found")
    error_of(
        Api(base, otok).post(f"/api/rooms/{pub['name']}/members", {"username": member["username"]}),
        400,
        "invalid_payload",
    )
    error_of(
        Api(base, otok).post("/api/rooms/no-such-room-x/members", {"username": member["username"]}),
        404,
        "not_found",
    )
    error_of(Api(base, otok).post(path, {"user": member["username"]}), 400, "invalid_payload")


# --------------------------------------------------------------------------- history
@pytest.fixture
def room_with_messages(base, make_user, room_factory, make_client):
    user, token = make_user()
    room = room_factory(token)
    c = make_client(token)
    assert c.call("join", {"room": room["name"]})["ok"]
    ids = []
    for i in range(7):
        ack = c.call("send", {"room": room["name"], "body": f"m{i}"})
        assert ack["ok"], ack
        ids.append(ack["message"]["id"])
    return room, token, ids


def test_history_pages_with_before_and_after_ascending(base, room_with_messages):
    room, token, ids = room_with_messages
    api = Api(base, token)
    path = f"/api/rooms/{room['name']}/messages"
    newest = api.get(path, params={"limit": 3}).json()
    assert [m["id"] for m in newest["messages"]] == ids[-3:] and newest["more"] is True
    older = api.get(path, params={"before": ids[-3], "limit": 3}).json()
    assert [m["id"] for m in older["messages"]] == ids[-6:-3] and older["more"] is True
    oldest = api.get(path, params={"before": ids[1], "limit": 3}).json()
    assert [m["id"] for m in oldest["messages"]] == ids[:1] and oldest["more"] is False
    after = api.get(path, params={"after": ids[1], "limit": 4}).json()
    assert [m["id"] for m in after["messages"]] == ids[2:6] and after["more"] is True
    tail = api.get(path, params={"after": ids[5]}).json()
    assert [m["id"] for m in tail["messages"]] == ids[6:] and tail["more"] is False
    default = api.get(path).json()
    assert [m["id"] for m in default["messages"]] == ids


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 101},
        {"limit": "ten"},
        {"limit": -1},
        {"before": "x"},
        {"after": "1.5"},
        {"before": 5, "after": 1},
        # digits str.isdigit() accepts but int() refuses, and other scripts' digits
        {"before": "\u00b9"},
        {"after": "\u0663"},
        {"limit": "\u00b2"},
        {"thread": "\u00b9"},
    ],
)
def test_history_rejects_bad_queries(base, room_with_messages, params):
    room, token, _ = room_with_messages
    error_of(
        Api(base, token).get(f"/api/rooms/{room['name']}/messages", params=params), 400, "invalid_payload"
    )


def test_history_limits_are_inclusive(base, room_with_messages):
    room, token, ids = room_with_messages
    for limit in (1, 100):
        r = Api(base, token).get(f"/api/rooms/{room['name']}/messages", params={"limit": limit})
        assert r.status_code == 200 and len(r.json()["messages"]) == min(limit, len(ids))


def test_history_of_unknown_room_is_not_found_and_private_needs_membership(base, make_user, room_factory):
    _, otok = make_user()
    _, stok = make_user()
    priv = room_factory(otok, private=True)
    error_of(Api(base, otok).get("/api/rooms/nope-nope-1/messages"), 404, "not_found")
    error_of(Api(base, stok).get(f"/api/rooms/{priv['name']}/messages"), 403, "forbidden")
    error_of(Api(base).get(f"/api/rooms/{priv['name']}/messages"), 401, "unauthorized")
    assert Api(base, otok).get(f"/api/rooms/{priv['name']}/messages").status_code == 200


# --------------------------------------------------------------------------- health, errors
def test_healthz_and_readyz(base):
    assert requests.get(base + "/healthz").json() == {"status": "ok"}
    r = requests.get(base + "/readyz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ready"
    assert body["checks"]["database"] == "ok"


def test_unknown_paths_and_methods_answer_in_the_envelope(base):
    error_of(requests.get(base + "/api/nothing-here"), 404, "not_found")
    r = requests.delete(base + "/api/rooms")
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"
    assert set(r.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/api/register", "POST"),
        ("/api/login", "POST"),
        ("/api/logout", "POST"),
        ("/api/logout-everywhere", "POST"),
        ("/api/uploads", "POST"),
        ("/api/dms", "POST"),
        ("/api/rooms/some-room/bans", "POST"),
        ("/api/rooms/some-room/members/someone", "DELETE"),
    ],
)
def test_a_get_of_a_known_path_of_another_method_is_405_not_404(base, path, allowed):
    """The web client's catch-all GET route must not swallow the API's other methods."""
    r = requests.get(base + path)
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed", r.text
    assert r.headers["Allow"] == allowed


def test_oversized_body_is_too_large(base):
    r = requests.post(
        base + "/api/register",
        data=b"{" + b" " * (70 * 1024) + b"}",
        headers={"Content-Type": "application/json"},
    )
    error_of(r, 413, "too_large")


def test_api_answers_are_not_cached_and_carry_a_request_id(base):
    r = requests.get(base + "/healthz")
    assert r.headers.get("X-Request-Id")
    r = requests.post(base + "/api/login", json={})
    assert r.headers["Cache-Control"] == "no-store"
