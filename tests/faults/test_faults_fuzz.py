"""Property-based fuzzing of every Socket.IO event payload and every HTTP body.

One server (PostgreSQL, Redis, S3 through moto's server) takes thousands of generated
payloads: valid ones, nearly valid ones (each field of the wrong type, size or shape) and
arbitrary JSON. Properties: every event is acknowledged with the contract's envelope and
never with an unknown code, the socket stays connected, HTTP never answers 5xx and every
error uses the envelope; afterwards the database is read directly and every stored row
satisfies the contract's invariants, and exactly the acknowledged sends are stored.
"""

from __future__ import annotations

import contextlib
import json
import re
import urllib.parse
from datetime import datetime

import pytest
import requests
import socketio
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.support.client import Api, ChatClient
from tests.support.measure import record_figure
from tests.support.ports import unique
from tests.support.processes import migrate
from tests.support.server import FEW_CONNECTIONS, ServerProcess, server_env
from tests.support.services import Database, MotoS3, delete_redis_keys
from tests.support.settings import REDIS_URL

SOCKET_EXAMPLES = 300  # per event; 6 events
HTTP_EXAMPLES = 200  # per endpoint; 7 endpoints
ACK_TIMEOUT = 10.0

CODES = {
    "invalid_payload": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "too_large": 413,
    "unsupported_type": 415,
    "rate_limited": 429,
    "unavailable": 503,
}
# HTTP adds what routing itself can answer: a path with no route for its method
HTTP_CODES = CODES | {"method_not_allowed": 405}
USERNAME_RE = re.compile(r"[A-Za-z0-9_.-]{3,32}")
ROOM_RE = re.compile(r"[a-z0-9-]{1,64}")

FUZZ_SETTINGS = {
    "deadline": None,
    "database": None,
    # no shrinking: a failing case here often costs a full ack timeout per attempt, and the
    # first failing payload is printed as it is
    "phases": [Phase.explicit, Phase.generate],
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
        HealthCheck.filter_too_much,
    ],
}

COUNTS: dict[str, int] = {}


def count(kind: str) -> None:
    COUNTS[kind] = COUNTS.get(kind, 0) + 1


class World:
    """The running service and the users, rooms and messages the fuzzer aims at."""

    def __init__(self) -> None:
        self.server: ServerProcess
        self.db: Database
        self.api: Api
        self.alice: dict
        self.bob: dict
        self.public: str
        self.private: str
        self.socket: ChatClient
        self.known_ids: list[int] = []
        self.acked_sends: dict[int, str] = {}  # id -> body as acknowledged
        self.deleted: set[int] = set()
        self.client_ids: set[tuple[str, str]] = set()

    def ensure_connected(self) -> None:
        if not self.socket.connected:
            self.socket.close()
            self.socket.connect()
            for room in (self.public, self.private):
                self.socket.room = room
                assert self.socket.join().get("ok")


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    tmp = tmp_path_factory.mktemp("fuzz")
    w = World()
    w.db = Database(prefix="faults_").create()
    channel = unique("faults-fuzz-")
    moto = MotoS3(tmp)
    try:
        moto.start()
        moto.create_bucket()
        env = server_env(w.db.url, channel, REDIS_URL, **FEW_CONNECTIONS, **moto.env())
        migrate(env)
        w.server = ServerProcess(env, tmp / "serve-fuzz.log", "serve-fuzz")
        w.server.start()
        w.api = Api(w.server.url)
        w.alice = w.api.register(unique("alice"))
        w.bob = w.api.register(unique("bob"))
        w.public = unique("pub-")
        w.private = unique("priv-")
        w.api.create_room(w.alice["token"], w.public)
        w.api.create_room(w.alice["token"], w.private, private=True)
        r = requests.post(
            f"{w.server.url}/api/rooms/{w.private}/members",
            json={"username": w.bob["user"]["username"]},
            headers=_auth(w.alice["token"]),
            timeout=10,
        )
        assert r.status_code == 204, r.text
        bob = ChatClient(w.bob["user"]["username"], w.bob["token"], w.public, [w.server.url])
        bob.connect()
        for room in (w.public, w.private):
            bob.room = room
            assert bob.join().get("ok")
            ack = bob.call("send", {"room": room, "body": f"bob in {room}"})
            assert ack.get("ok"), ack
            w.known_ids.append(ack["message"]["id"])
            w.acked_sends[ack["message"]["id"]] = ack["message"]["body"]
        w.socket = ChatClient(w.alice["user"]["username"], w.alice["token"], w.public, [w.server.url])
        w.ensure_connected()
        for room in (w.public, w.private):
            ack = w.socket.call("send", {"room": room, "body": f"alice in {room}"})
            assert ack.get("ok"), ack
            w.known_ids.append(ack["message"]["id"])
            w.acked_sends[ack["message"]["id"]] = ack["message"]["body"]
        yield w
        bob.close()
        w.socket.close()
    finally:
        with contextlib.suppress(Exception):
            w.server.stop()
        moto.stop()
        with contextlib.suppress(Exception):
            delete_redis_keys(channel)
        w.db.drop()


def _auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


# --------------------------------------------------------------------------- strategies

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    # finite only: requests refuses NaN in json=; raw NaN bodies are among RAW_BODIES
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
special_text = st.sampled_from(
    [
        "",
        " ",
        "\n\t ",
        "\x00",
        "a\x00b",
        "\u202e\u200b",
        "<script>alert(1)</script>",
        "'; DROP TABLE messages; --",
        "x" * 4000,
        " " + "x" * 4000 + "\n",
        "x" * 4001,
        "\U0001f600" * 4000,
        "\U0001f600" * 4001,
        "y" * 20_000,
    ]
)
texts = st.text(max_size=80) | special_text


def _near(valid: st.SearchStrategy) -> st.SearchStrategy:
    """A field that is usually well formed and sometimes of any JSON type."""
    return st.one_of(valid, valid, texts, scalars, json_values)


VALID_BODIES = st.text(min_size=1, max_size=200).filter(str.strip) | st.sampled_from(
    [
        "x" * 4000,
        " " + "x" * 4000 + "\n",
        "\U0001f600" * 4000,
        "<script>alert(1)</script>",
        "'; DROP TABLE messages; --",
        "  keeps its spaces  ",
    ]
)
WRONG_VALUES = st.one_of(
    texts,
    scalars,
    json_values,
    st.sampled_from(["no-such-room", "UPPER", "a" * 65, -1, 0, 2**63, 2**64, True]),
)
_REMOVE = object()
EMOJI = st.sampled_from(["👍", "🎉", "👀", "+1", "ok"]) | st.text(min_size=1, max_size=40)


def valid_payloads(world: World, event: str) -> st.SearchStrategy:
    rooms = st.sampled_from([world.public, world.private])
    # a snapshot: a strategy must not change while Hypothesis draws from it
    ids = st.sampled_from(tuple(world.known_ids))
    required, optional = {
        "join": ({"room": rooms}, {"since": ids | st.integers(min_value=0, max_value=2**62)}),
        "leave": ({"room": rooms}, {}),
        "send": (
            {"room": rooms, "body": VALID_BODIES},
            {"client_id": st.text(min_size=1, max_size=64), "thread": ids},
        ),
        "edit": ({"id": ids, "body": VALID_BODIES}, {}),
        "delete": ({"id": ids}, {}),
        "typing": ({"room": rooms}, {}),
        "react": ({"id": ids, "emoji": EMOJI, "on": st.booleans()}, {}),
        "read": ({"room": rooms, "id": ids}, {}),
    }[event]
    return st.fixed_dictionaries(required, optional=optional)


def _mutate(valid: dict, key: str, value) -> dict:
    out = dict(valid)
    if value is _REMOVE:
        out.pop(key, None)
    else:
        out[key] = value
    return out


def socket_payloads(world: World, event: str) -> st.SearchStrategy:
    """Well-formed payloads, well-formed ones with one field removed or of a wrong type or
    value, and arbitrary JSON (also several arguments instead of one)."""
    valid = valid_payloads(world, event)
    mutated = valid.flatmap(
        lambda d: st.builds(
            _mutate,
            st.just(d),
            st.sampled_from([*sorted(d), "since", "id", "attachment", "client_id", "thread", "on", "extra"]),
            st.one_of(st.just(_REMOVE), WRONG_VALUES),
        )
    )
    # frames above the transport's limit are refused by design; that is tested in
    # test_faults_abusive_clients, here every frame stays below it
    return st.one_of(
        valid, valid, mutated, mutated, mutated, json_values, st.tuples(json_values, json_values)
    ).filter(lambda p: len(json.dumps(p)) < 60_000)


# --------------------------------------------------------------------------- checks


def short(value) -> str:
    text = repr(value)
    return text if len(text) < 300 else text[:300] + f"... ({len(text)} characters)"


def check_time(value, nullable: bool) -> None:
    if value is None and nullable:
        return
    assert isinstance(value, str) and value.endswith("Z"), value
    datetime.fromisoformat(value.removesuffix("Z"))


def check_message_object(m) -> None:
    assert isinstance(m, dict), m
    assert isinstance(m["id"], int) and not isinstance(m["id"], bool)
    assert isinstance(m["room"], str) and ROOM_RE.fullmatch(m["room"])
    assert isinstance(m["user"], str) and USERNAME_RE.fullmatch(m["user"])
    assert isinstance(m["body"], str) and 1 <= len(m["body"].strip()) <= 4000
    check_time(m["created_at"], nullable=False)
    check_time(m["edited_at"], nullable=True)
    assert m["client_id"] is None or isinstance(m["client_id"], str)
    assert m["attachment"] is None or isinstance(m["attachment"], dict)
    assert m["thread"] is None or isinstance(m["thread"], int)
    if m["thread"] is None:
        assert isinstance(m["reply_count"], int) and m["reply_count"] >= 0
        check_time(m["last_reply_at"], nullable=True)
    assert isinstance(m["reactions"], list) and isinstance(m["mentions"], list)


def check_error(err, codes: dict[str, int] = CODES) -> str:
    assert isinstance(err, dict), err
    assert err.get("code") in codes, f"code outside the contract: {err!r}"
    assert isinstance(err.get("message"), str) and err["message"], err
    return err["code"]


def check_ack(event: str, payload, ack, world: World) -> None:
    assert isinstance(ack, dict) and isinstance(ack.get("ok"), bool), f"ack {short(ack)}"
    if not ack["ok"]:
        code = check_error(ack.get("error"))
        assert code != "unavailable", f"{event} answered unavailable with every dependency up"
        count(f"socket {event}: {code}")
        return
    count(f"socket {event}: ok")
    assert isinstance(payload, dict), f"{event} accepted a non-object payload {short(payload)}"
    if event == "join":
        assert isinstance(ack["room"], dict) and ack["room"]["name"] == payload["room"]
        assert isinstance(ack["messages"], list) and isinstance(ack["more"], bool)
        for m in ack["messages"]:
            check_message_object(m)
            assert m["id"] not in world.deleted, "a deleted message came back in join"
        assert world.alice["user"]["username"] in ack["online"]
        if isinstance(payload.get("since"), int) and not isinstance(payload["since"], bool):
            assert all(m["id"] > payload["since"] for m in ack["messages"])
    elif event in ("send", "edit"):
        m = ack["message"]
        check_message_object(m)
        assert isinstance(payload.get("body"), str) and payload["body"].strip()
        if event == "send":
            key = (payload["room"], payload.get("client_id"))
            if payload.get("client_id") is None or key not in world.client_ids:
                assert m["body"] == payload["body"], "the stored body differs from the sent one"
                assert m["room"] == payload["room"]
            if payload.get("client_id") is not None:
                world.client_ids.add(key)
            world.acked_sends.setdefault(m["id"], m["body"])
            world.known_ids.append(m["id"])
        else:
            assert m["body"] == payload["body"] and m["id"] == payload["id"]
            assert m["user"] == world.alice["user"]["username"], "edited someone else's message"
            assert m["edited_at"] is not None
            world.acked_sends[m["id"]] = m["body"]
    elif event == "delete":
        world.deleted.add(payload["id"])
    elif event == "react":
        assert isinstance(payload.get("emoji"), str) and isinstance(payload.get("on"), bool)
        assert 1 <= len(payload["emoji"]) <= 32 and not any(c.isspace() for c in payload["emoji"])
        assert isinstance(ack["reactions"], list) and len(ack["reactions"]) <= 20
        for r in ack["reactions"]:
            assert r["count"] == len(r["users"]) >= 1
    elif event == "read":
        assert isinstance(ack["last_read"], int) and ack["last_read"] >= payload["id"]


EVENTS = ["join", "leave", "send", "edit", "delete", "typing", "react", "read"]


@pytest.mark.parametrize("event", EVENTS)
def test_fuzzed_socket_payloads_get_an_envelope_and_never_disconnect(world: World, event: str):
    payloads = socket_payloads(world, event)

    @settings(max_examples=SOCKET_EXAMPLES, **FUZZ_SETTINGS)
    @given(data=st.data())
    def run(data):
        payload = data.draw(payloads, label="payload")
        world.ensure_connected()
        try:
            ack = world.socket.call(event, payload, timeout=ACK_TIMEOUT)
        except socketio.exceptions.TimeoutError:
            pytest.fail(f"{event} was not acknowledged within {ACK_TIMEOUT}s: {short(payload)}")
        check_ack(event, payload, ack, world)
        if event == "leave" and ack.get("ok") and payload.get("room") in (world.public, world.private):
            assert world.socket.call("join", {"room": payload["room"]}).get("ok")
        assert world.server.alive()
        assert world.socket.connected, f"{event} {short(payload)} disconnected the client"

    run()


def test_events_without_ack_or_unknown_names_leave_the_socket_usable(world: World):
    world.ensure_connected()
    sio = world.socket.sio
    for k in range(50):
        sio.emit("send", {"room": world.public, "body": f"no ack {k}", "client_id": f"noack-{k}"})
        sio.emit("no-such-event", {"room": world.public})
        sio.emit("join", [1, 2, 3])
    ack = world.socket.call("typing", {"room": world.public}, timeout=ACK_TIMEOUT)
    assert world.socket.connected
    assert ack == {"ok": True} or ack.get("ok") is True
    # sends without an ack are still sends: they are stored, so count them in
    for k in range(50):
        cid = f"noack-{k}"
        ack = world.socket.call("send", {"room": world.public, "body": f"no ack {k}", "client_id": cid})
        assert ack.get("ok"), ack
        assert ack["message"]["body"] == f"no ack {k}"
        world.client_ids.add((world.public, cid))
        world.acked_sends.setdefault(ack["message"]["id"], ack["message"]["body"])


def test_an_unknown_event_with_an_ack_is_answered_with_an_error(world: World):
    """A client waiting on an ack must not wait forever because it misspelt an event."""
    world.ensure_connected()
    try:
        unknown = world.socket.call("no-such-event", {"room": world.public}, timeout=5)
    except socketio.exceptions.TimeoutError:
        pytest.fail("an unknown event with an ack callback got no answer within 5 s")
    assert isinstance(unknown, dict) and unknown.get("ok") is False, unknown
    check_error(unknown["error"])
    assert world.socket.connected


# --------------------------------------------------------------------------- HTTP

CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/json; charset=latin-1",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "",
    ]
)


# named, so that a failing case prints a name rather than a 300 kB repr
RAW_BODIES = {
    "empty": b"",
    "truncated": b"{",
    "null": b"null",
    "array": b"[]",
    "string": b'"text"',
    "NaN and Infinity": b'{"username": NaN, "password": Infinity}',
    "not UTF-8": b"\xff\xfe{}",
    "duplicate keys": b'{"username": "a", "username": "b"}',
    "nested 5000 deep": b'{"a":' * 5000 + b"1" + b"}" * 5000,
    "array nested 5000 deep": b"[" * 5000 + b"]" * 5000,
    "300 kB string": b'{"name": "' + b"x" * 300_000 + b'"}',
}


def http_bodies(fields: dict[str, st.SearchStrategy]) -> st.SearchStrategy:
    """As for events: well-formed bodies, ones with a field removed or broken, arbitrary
    JSON, raw bytes under several content types, and the pathological RAW_BODIES."""
    valid = st.fixed_dictionaries(fields)
    mutated = valid.flatmap(
        lambda d: st.builds(
            _mutate,
            st.just(d),
            st.sampled_from([*sorted(d), "extra"]),
            st.one_of(st.just(_REMOVE), WRONG_VALUES),
        )
    )
    return st.one_of(
        st.tuples(st.just("json"), valid),
        st.tuples(st.just("json"), mutated),
        st.tuples(st.just("json"), mutated),
        st.tuples(st.just("json"), json_values),
        st.tuples(CONTENT_TYPES, st.binary(max_size=200)),
        st.tuples(st.just("raw"), st.sampled_from(sorted(RAW_BODIES))),
    )


def check_response(r: requests.Response, what: str) -> None:
    assert r.status_code < 500, f"{what}: {r.status_code} {r.text[:300]}"
    count(f"http {what}: {r.status_code}")
    if r.status_code >= 400:
        try:
            body = r.json()
        except ValueError:
            pytest.fail(f"{what}: {r.status_code} without a JSON envelope: {r.text[:300]!r}")
        code = check_error(body.get("error"), HTTP_CODES)
        assert HTTP_CODES[code] == r.status_code, f"{what}: {code} with status {r.status_code}"
        if r.status_code == 429:
            assert r.headers.get("Retry-After"), "429 without Retry-After"


def send_body(world: World, method: str, path: str, body, headers: dict) -> requests.Response:
    kind, value = body
    if kind == "raw":
        kind, value = "application/json", RAW_BODIES[value]
    if kind == "json":
        return requests.request(method, world.server.url + path, json=value, headers=headers, timeout=15)
    h = dict(headers)
    if kind:
        h["Content-Type"] = kind
    return requests.request(method, world.server.url + path, data=value, headers=h, timeout=15)


USERNAMES = st.from_regex(USERNAME_RE, fullmatch=True)
PASSWORDS = st.text(min_size=8, max_size=128)


def http_cases(world: World) -> dict[str, tuple[str, st.SearchStrategy, st.SearchStrategy]]:
    """name -> (method, path strategy, body strategy)"""
    rooms = st.sampled_from([world.public, world.private, "no-such-room"]) | st.text(max_size=70)
    return {
        "register": (
            "post",
            st.just("/api/register"),
            http_bodies({"username": USERNAMES, "password": PASSWORDS}),
        ),
        "login": (
            "post",
            st.just("/api/login"),
            http_bodies(
                {
                    "username": st.sampled_from([world.alice["user"]["username"]]) | USERNAMES,
                    "password": PASSWORDS,
                }
            ),
        ),
        "create room": (
            "post",
            st.just("/api/rooms"),
            http_bodies({"name": st.from_regex(ROOM_RE, fullmatch=True), "private": st.booleans()}),
        ),
        "add member": (
            "post",
            rooms.map(lambda r: f"/api/rooms/{urllib.parse.quote(r, safe='')}/members"),
            http_bodies({"username": st.sampled_from([world.bob["user"]["username"]]) | USERNAMES}),
        ),
        "ban": (
            "post",
            rooms.map(lambda r: f"/api/rooms/{urllib.parse.quote(r, safe='')}/bans"),
            http_bodies({"username": st.sampled_from([world.bob["user"]["username"]]) | USERNAMES}),
        ),
        "dm": (
            "post",
            st.just("/api/dms"),
            http_bodies({"username": st.sampled_from([world.bob["user"]["username"]]) | USERNAMES}),
        ),
        "uploads": (
            "post",
            st.just("/api/uploads"),
            http_bodies(
                {
                    "room": st.sampled_from([world.public, world.private]),
                    "filename": st.text(min_size=1, max_size=300),
                    "content_type": st.sampled_from(["image/png", "text/plain", "application/x-evil"]),
                    "size": st.integers(min_value=-5, max_value=2**40),
                }
            ),
        ),
    }


@pytest.mark.parametrize("case", ["register", "login", "create room", "add member", "ban", "dm", "uploads"])
def test_fuzzed_http_bodies_never_5xx_and_errors_use_the_envelope(world: World, case: str):
    method, paths, bodies = http_cases(world)[case]
    # mostly a live token, so that the bodies reach the checks behind authentication
    token = st.sampled_from([world.alice["token"]] * 4 + ["", "garbage", "Bearer"])

    @settings(max_examples=HTTP_EXAMPLES, **FUZZ_SETTINGS)
    @given(path=paths, body=bodies, tok=token)
    def run(path, body, tok):
        headers = _auth(tok) if tok else {}
        check_response(send_body(world, method, path, body, headers), case)

    run()


QUERY_VALUES = st.one_of(
    st.none(),
    st.integers(min_value=-5, max_value=2**70).map(str),
    st.sampled_from(["", "1e3", "0x10", "+5", "-1", "NaN", "101", "100", "1"]),
    st.text(max_size=20),
)


def test_fuzzed_history_queries_never_5xx(world: World):
    @settings(max_examples=HTTP_EXAMPLES, **FUZZ_SETTINGS)
    @given(
        room=st.sampled_from([world.public, world.private, "no-such-room"]) | st.text(max_size=70),
        before=QUERY_VALUES,
        after=QUERY_VALUES,
        limit=QUERY_VALUES,
        thread=QUERY_VALUES,
        tok=st.sampled_from([world.alice["token"]] * 4 + ["garbage", ""]),
    )
    def run(room, before, after, limit, thread, tok):
        given_ = {"before": before, "after": after, "limit": limit, "thread": thread}
        params = {k: v for k, v in given_.items() if v is not None}
        r = requests.get(
            f"{world.server.url}/api/rooms/{urllib.parse.quote(room, safe='')}/messages",
            params=params,
            headers=_auth(tok) if tok else {},
            timeout=15,
        )
        check_response(r, "history")
        if r.status_code == 200:
            body = r.json()
            ids = [m["id"] for m in body["messages"]]
            assert ids == sorted(ids) and isinstance(body["more"], bool)
            for m in body["messages"]:
                check_message_object(m)

    run()


def test_fuzzed_upload_keys_and_logout_never_5xx(world: World):
    @settings(max_examples=HTTP_EXAMPLES, **FUZZ_SETTINGS)
    @given(
        key=st.text(min_size=1, max_size=120) | st.sampled_from(["rooms/1/x", "../../etc/passwd"]),
        tok=st.sampled_from([world.alice["token"]] * 4 + ["garbage", ""]),
        logout_body=st.binary(max_size=100),
        logout_tok=st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=60),
    )
    def run(key, tok, logout_body, logout_tok):
        r = requests.get(
            f"{world.server.url}/api/uploads/{urllib.parse.quote(key, safe='/')}",
            headers=_auth(tok) if tok else {},
            allow_redirects=False,
            timeout=15,
        )
        check_response(r, "upload download")
        assert r.status_code != 302, "a download link for a key nobody uploaded"
        # never with a live token: logout must not end the session the fuzzer uses
        r = requests.post(
            world.server.url + "/api/logout",
            data=logout_body,
            headers=_auth(logout_tok),
            timeout=15,
        )
        check_response(r, "logout")
        assert r.status_code == 401, r.text

    run()
    me = requests.get(world.server.url + "/api/me", headers=_auth(world.alice["token"]), timeout=15)
    assert me.status_code == 200, "a fuzzed logout ended a session it had no token for"


@pytest.mark.parametrize("body", ["nested 5000 deep", "array nested 5000 deep", "not UTF-8"])
@pytest.mark.parametrize("path", ["/api/register", "/api/login", "/api/rooms", "/api/uploads"])
def test_pathological_json_bodies_are_invalid_payload_not_500(world: World, path: str, body: str):
    r = send_body(world, "post", path, ("raw", body), _auth(world.alice["token"]))
    assert r.status_code == 400, f"{path} with a {body} body: {r.status_code} {r.text[:200]}"
    assert r.json()["error"]["code"] == "invalid_payload"


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/api/rooms/a%00b/messages"),
        ("post", "/api/rooms/a%00b/members"),
        ("get", "/api/uploads/rooms/1/a%00b"),
    ],
)
def test_a_nul_character_in_a_path_is_a_client_error_not_500(world: World, method: str, path: str):
    """PostgreSQL text cannot hold NUL: a name carrying one must be refused before the query."""
    r = requests.request(
        method,
        world.server.url + path,
        json={"username": world.bob["user"]["username"]},
        headers=_auth(world.alice["token"]),
        allow_redirects=False,
        timeout=15,
    )
    assert r.status_code in (400, 404), f"{method} {path}: {r.status_code} {r.text[:200]}"
    check_error(r.json()["error"])


@pytest.mark.parametrize("event", ["send", "edit"])
def test_a_nul_character_in_a_body_is_invalid_payload_not_internal(world: World, event: str):
    """PostgreSQL text cannot hold NUL: such a body must be refused as invalid, never reach
    the database and fail there."""
    world.ensure_connected()
    payload: dict = {"room": world.public, "body": "before\x00after"}
    if event == "edit":
        ack = world.socket.call("send", {"room": world.public, "body": "to be edited"})
        assert ack.get("ok"), ack
        world.acked_sends[ack["message"]["id"]] = ack["message"]["body"]
        payload = {"id": ack["message"]["id"], "body": "before\x00after"}
    ack = world.socket.call(event, payload, timeout=ACK_TIMEOUT)
    assert ack.get("ok") is False and ack["error"]["code"] == "invalid_payload", ack


def test_a_nul_character_in_an_attachment_key_is_refused_not_internal(world: World):
    world.ensure_connected()
    ack = world.socket.call(
        "send",
        {"room": world.public, "body": "with a file", "attachment": "rooms/1/a\x00b"},
        timeout=ACK_TIMEOUT,
    )
    assert ack.get("ok") is False, ack
    assert ack["error"]["code"] in ("invalid_payload", "not_found"), ack


def test_a_nul_character_in_an_upload_filename_is_invalid_payload(world: World):
    r = requests.post(
        world.server.url + "/api/uploads",
        json={"room": world.public, "filename": "a\x00b.png", "content_type": "image/png", "size": 10},
        headers=_auth(world.alice["token"]),
        timeout=15,
    )
    assert r.status_code == 400, (r.status_code, r.text[:200])
    assert r.json()["error"]["code"] == "invalid_payload"


# --------------------------------------------------------------------------- the database


def test_fuzzed_search_queries_never_5xx(world: World):
    @settings(max_examples=HTTP_EXAMPLES, **FUZZ_SETTINGS)
    @given(
        q=st.one_of(
            st.none(), st.text(max_size=220), st.sampled_from(["x", "é", "&", "a:*", "'", "!!", "\\\\"])
        ),
        room=st.none()
        | st.sampled_from([world.public, world.private, "no-such-room"])
        | st.text(max_size=70),
        before=QUERY_VALUES,
        limit=QUERY_VALUES,
        tok=st.sampled_from([world.alice["token"]] * 4 + ["garbage", ""]),
    )
    def run(q, room, before, limit, tok):
        given_ = {"q": q, "room": room, "before": before, "limit": limit}
        r = requests.get(
            f"{world.server.url}/api/search",
            params={k: v for k, v in given_.items() if v is not None},
            headers=_auth(tok) if tok else {},
            timeout=15,
        )
        check_response(r, "search")
        if r.status_code == 200:
            body = r.json()
            ids = [m["id"] for m in body["messages"]]
            assert ids == sorted(ids, reverse=True) and isinstance(body["more"], bool)
            for m in body["messages"]:
                check_message_object(m)
                assert m["id"] not in world.deleted, "search found a deleted message"

    run()


def test_database_holds_only_valid_rows_after_fuzzing(world: World):
    """Runs last in this module: reads every table directly."""
    db = world.db
    users = db.query("SELECT id, username, username_key, password_hash FROM users")
    assert users
    keys = [u[2] for u in users]
    assert len(keys) == len(set(keys))
    for _id, username, key, pw_hash in users:
        assert USERNAME_RE.fullmatch(username), username
        assert key == username.lower(), (username, key)
        assert pw_hash and pw_hash != username
    assert len({u[1].lower() for u in users}) == len(users), "usernames collide ignoring case"

    rooms = db.query("SELECT id, name, private, owner_id FROM rooms")
    user_ids = {u[0] for u in users}
    for _id, name, _private, owner in rooms:
        assert ROOM_RE.fullmatch(name), name
        assert owner in user_ids
    owners_are_members = db.query(
        "SELECT r.name FROM rooms r LEFT JOIN members m "
        "ON m.room_id = r.id AND m.user_id = r.owner_id WHERE m.user_id IS NULL"
    )
    assert not owners_are_members, f"rooms whose owner is not a member: {owners_are_members}"

    private_sends = db.query(
        "SELECT m.id FROM messages m JOIN rooms r ON r.id = m.room_id AND r.private "
        "LEFT JOIN members mb ON mb.room_id = r.id AND mb.user_id = m.user_id "
        "LEFT JOIN bans b ON b.room_id = r.id AND b.user_id = m.user_id "
        "WHERE mb.user_id IS NULL AND b.user_id IS NULL"
    )
    # a member banned since keeps the messages they sent while a member
    assert not private_sends, f"messages from non-members in private rooms: {private_sends}"

    rows = db.query(
        "SELECT id, body, client_id, created_at, edited_at, deleted_at, attachment_key, thread_id "
        "FROM messages"
    )
    # deleting a root deletes its thread: its replies count as deleted too
    deleted_ids = world.deleted | {r[0] for r in rows if r[7] in world.deleted and r[5] is not None}
    for mid, body, client_id, created, edited, deleted, attachment, _thread in rows:
        # a deleted message may keep or blank its body; a live one must be a valid body
        assert deleted is not None or 1 <= len(body.strip()) <= 4000, (mid, len(body.strip()))
        assert len(body.strip()) <= 4000, mid
        assert "\x00" not in body
        assert client_id is None or 1 <= len(client_id) <= 64
        assert created is not None
        assert edited is None or edited >= created
        if attachment is not None:
            assert db.query("SELECT 1 FROM uploads WHERE key = %s", (attachment,)), attachment

    stored = {r[0]: r for r in rows}
    never_acked = set(stored) - set(world.acked_sends)
    assert not never_acked, f"stored but never acknowledged: {sorted(never_acked)[:20]}"
    lost = set(world.acked_sends) - set(stored) - deleted_ids
    assert not lost, f"acknowledged but not stored: {sorted(lost)[:20]}"
    for mid, body in world.acked_sends.items():
        if mid in stored and mid not in deleted_ids:
            assert stored[mid][1] == body, f"message {mid} stored differently from its ack"
    for mid in world.deleted:
        # a delete may remove the row or mark it; either way it must not stay live
        assert mid not in stored or stored[mid][5] is not None, f"message {mid} not deleted"


def test_thousands_of_cases_were_checked(world: World):
    """Runs last; fails too when a fuzz test above stopped at its first failing case."""
    total = sum(COUNTS.values())
    record_figure("fuzzing: cases checked", str(total))
    record_figure("fuzzing: outcomes", ", ".join(f"{k}={v}" for k, v in sorted(COUNTS.items())))
    assert total >= 3000, f"only {total} cases ran"
