"""The abuse suite: what one ordinary account (or one request) could do to others, each as an
attack from outside against a real server, and the bound that now holds. Figures per account
are in docs/operations.md ("What one account can cost")."""

from __future__ import annotations

import json
import time

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from app.storage import migrate
from tests.support.client import Api, SioClient, register
from tests.support.services import Database

PNG = bytes.fromhex("89504e470d0a1a0a") + b"\0" * 56


def room_of(base: str, token: str, prefix: str) -> str:
    return Api(base, token).post("/api/rooms", {"name": f"{prefix}-{time.time_ns()}"}).json()["room"]["name"]


# -- one account's long messages cannot make a page or a join ack huge


def test_history_pages_and_join_acks_are_cut_in_bytes_with_more(stack):
    srv = stack.server(PAGE_MAX_BYTES=str(64 * 1024))
    try:
        _, token = register(srv.url)
        room = room_of(srv.url, token, "bytes")
        c = SioClient(srv.url, token)
        c.call("join", {"room": room})
        body = "é" * 4000  # 8,000 bytes each: the longest body the contract allows, twice over in UTF-8
        first = c.call("send", {"room": room, "body": body})["message"]["id"]
        for _ in range(29):
            assert c.call("send", {"room": room, "body": body})["ok"]
        c.close()
        got = Api(srv.url, token).get(f"/api/rooms/{room}/messages", params={"limit": 100})
        page = got.json()
        assert 1 <= len(page["messages"]) < 30 and page["more"] is True
        assert len(got.content) < 80 * 1024  # on the wire
        # the newest are kept; paging back reaches every message
        seen = [m["id"] for m in page["messages"]]
        while page["more"]:
            page = (
                Api(srv.url, token)
                .get(f"/api/rooms/{room}/messages", params={"limit": 100, "before": seen[0]})
                .json()
            )
            seen = [m["id"] for m in page["messages"]] + seen
        assert len(seen) == 30 and seen[0] == first
        joiner = SioClient(srv.url, token)
        try:
            ack = joiner.call("join", {"room": room})
            assert ack["ok"] and ack["more"] is True and len(ack["messages"]) < 30
            ack = joiner.call("join", {"room": room, "since": first - 1})
            assert ack["ok"] and ack["more"] is True and ack["messages"][0]["id"] == first
        finally:
            joiner.close()
    finally:
        srv.close()


def test_rows_stored_before_the_cap_are_cut_by_the_migration(stack):
    db = Database(stack.backend).create()
    try:
        migrate.upgrade(db.engine, "0004")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (id, username, username_key, password_hash, created_at) "
                    "VALUES (1, 'mallory', 'mallory', 'x', CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO rooms (id, name, private, owner_id, created_at, last_seq, kind) "
                    "VALUES (1, 'lobby', false, 1, CURRENT_TIMESTAMP, 3, 'room')"
                )
            )
            for mid, body in ((1, "x" + " " * 990_000), (2, "y" * 9000), (3, "  " + "z" * 4000 + "  ")):
                conn.execute(
                    text(
                        "INSERT INTO messages (id, room_id, user_id, body, created_at, seq) "
                        "VALUES (:i, 1, 1, :b, CURRENT_TIMESTAMP, :i)"
                    ),
                    {"i": mid, "b": body},
                )
        migrate.upgrade(db.engine)
        bodies = dict(db.rows("SELECT id, body FROM messages ORDER BY id"))
        assert bodies[1] == "x"  # padding gone
        assert bodies[2] == "y" * 4000  # cut to the limit
        assert bodies[3] == "  " + "z" * 4000 + "  "  # sendable today: untouched
    finally:
        db.drop()


# -- one request cannot wedge a process


def test_an_oversized_long_polling_post_is_answered_at_once_and_does_not_hold_a_shutdown(stack):
    srv = stack.server(SHUTDOWN_GRACE_SECONDS="5")
    poll = srv.url + "/socket.io/?EIO=4&transport=polling"
    opened = requests.get(poll, timeout=10).text
    sid = json.loads(opened[opened.index("{") :])["sid"]
    started = time.monotonic()
    r = requests.post(f"{poll}&sid={sid}", data="4" + "x" * (2 * 1024 * 1024), timeout=20)
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    assert time.monotonic() - started < 10  # was: no answer at all
    after = requests.get(f"{poll}&sid={sid}", timeout=10)
    assert after.status_code == 400  # the session is over
    assert requests.get(srv.url + "/healthz", timeout=10).status_code == 200
    started = time.monotonic()
    srv.terminate()
    srv.proc.wait(timeout=60)
    assert time.monotonic() - started < 15 and srv.proc.returncode == 0


# -- uploads: a daily quota per account, and what is never attached does not stay


def test_upload_grants_stop_at_the_daily_quota_with_retry_after(stack, tmp_path):
    srv = stack.server(MEDIA_DIR=str(tmp_path / "media"), UPLOAD_QUOTA_BYTES="1000")
    try:
        _, token = register(srv.url)
        room = room_of(srv.url, token, "quota")
        grant = {"room": room, "filename": "a.png", "content_type": "image/png", "size": 600}
        assert Api(srv.url, token).post("/api/uploads", grant).status_code == 201
        refused = Api(srv.url, token).post("/api/uploads", grant)
        assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"
        assert 80_000 < int(refused.headers["Retry-After"]) <= 86_400
        assert Api(srv.url, token).post("/api/uploads", {**grant, "size": 400}).status_code == 201
        _, other = register(srv.url)  # the quota is the account's own
        other_room = room_of(srv.url, other, "quota2")
        assert Api(srv.url, other).post("/api/uploads", {**grant, "room": other_room}).status_code == 201
    finally:
        srv.close()


def test_uploads_never_attached_are_removed_and_attached_ones_stay(stack, tmp_path):
    media = tmp_path / "media"
    srv = stack.server(MEDIA_DIR=str(media), UNATTACHED_UPLOAD_SECONDS="3", PRESENCE_HEARTBEAT="1")
    try:
        _, token = register(srv.url)
        room = room_of(srv.url, token, "orphans")
        keys = []
        for _ in range(2):
            up = Api(srv.url, token).post(
                "/api/uploads",
                {"room": room, "filename": "a.png", "content_type": "image/png", "size": len(PNG)},
            )
            upload = up.json()["upload"]
            fields = dict(upload["fields"])
            r = requests.post(
                srv.url + upload["url"], data=fields, files={"file": ("a", PNG, "image/png")}, timeout=10
            )
            assert r.status_code == 204
            keys.append(upload["key"])
        c = SioClient(srv.url, token)
        c.call("join", {"room": room})
        assert c.call("send", {"room": room, "body": "kept", "attachment": keys[0]})["ok"]
        c.close()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and (media / keys[1]).exists():
            time.sleep(0.5)
        assert not (media / keys[1]).exists()
        gone = Api(srv.url, token).get(f"/api/uploads/{keys[1]}", allow_redirects=False)
        assert gone.status_code == 404
        assert (media / keys[0]).read_bytes() == PNG
        assert Api(srv.url, token).get(f"/api/uploads/{keys[0]}", allow_redirects=False).status_code == 302
    finally:
        srv.close()


# -- passwords


@pytest.mark.parametrize("password", ["password123", "P@ssw0rd", "drowssap", "qwertyuiop", "Iloveyou"])
def test_leaked_passwords_are_refused_where_the_check_is_on(stack, password):
    srv = stack.server(BREACHED_PASSWORD_CHECK="1")
    try:
        r = Api(srv.url).post("/api/register", {"username": f"v{time.time_ns()}", "password": password})
        assert r.status_code == 400 and "leaked" in r.json()["error"]["message"], r.text
        name = f"w{time.time_ns()}"
        r = Api(srv.url).post("/api/register", {"username": name, "password": name})
        assert r.status_code == 400 and "username" in r.json()["error"]["message"]
        r = Api(srv.url).post(
            "/api/register", {"username": f"x{time.time_ns()}", "password": "violet kettle 42 rain"}
        )
        assert r.status_code == 201
    finally:
        srv.close()


def test_without_the_check_the_contract_s_8_to_128_characters_are_enough(base):
    r = requests.post(
        base + "/api/register", json={"username": f"p{time.time_ns()}", "password": "password123"}
    )
    assert r.status_code == 201


def test_failed_sign_ins_are_counted_for_the_alarm(stack, tmp_path):
    out = (tmp_path / "stdout").open("w")
    srv = stack.server(stdout=out, METRICS_EMF="1", METRICS_INTERVAL="1", PRESENCE_HEARTBEAT="1")
    try:
        user, _ = register(srv.url)
        for _ in range(3):
            bad = {"username": user["username"], "password": "not the password"}
            assert requests.post(srv.url + "/api/login", json=bad, timeout=10).status_code == 401
        deadline, total = time.monotonic() + 10, 0
        while time.monotonic() < deadline and total < 3:
            lines = (tmp_path / "stdout").read_text().splitlines()
            total = sum(json.loads(ln).get("LoginFailures", 0) for ln in lines if ln.startswith("{"))
            time.sleep(0.3)
        assert total == 3
    finally:
        srv.close()
        out.close()


# -- padding and Unicode: the body limits hold for any mix, from outside

SPACES = " \t\n\r\u00a0\u2000\u2028\u3000\u200b"


@pytest.fixture(scope="module")
def sender(server):
    _, token = register(server.url)
    room = room_of(server.url, token, "mix")
    c = SioClient(server.url, token)
    c.call("join", {"room": room})
    yield c, room
    c.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pad_left=st.integers(0, 9000),
    pad_right=st.integers(0, 9000),
    core=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=4100),
    pad=st.sampled_from(SPACES),
)
def test_any_mix_of_padding_and_unicode_is_held_to_both_limits(sender, pad_left, pad_right, core, pad):
    c, room = sender
    body = pad * pad_left + core + pad * pad_right
    ack = c.call("send", {"room": room, "body": body})
    trimmed = body.strip()
    # the order the contract's checks take: the size as sent, the text itself (no NUL, which
    # PostgreSQL cannot store), then the trimmed size
    if len(body) > 8000:
        assert ack["ok"] is False and ack["error"]["code"] == "too_large", len(body)
    elif "\x00" in body or not trimmed:
        assert ack["ok"] is False and ack["error"]["code"] == "invalid_payload", ack
    elif len(trimmed) > 4000:
        assert ack["ok"] is False and ack["error"]["code"] == "too_large", len(trimmed)
    else:
        assert ack["ok"], ack
        assert ack["message"]["body"] == body  # stored exactly as sent, within the cap
