"""Session lifetimes (SESSION_IDLE_SECONDS, SESSION_MAX_AGE_SECONDS): a token unused for the
idle time stops working, and so does one older than the maximum age however much it is used;
a socket cannot be opened with either. Short lifetimes here, the same code as production."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from tests.support.client import Api, register
from tests.support.settings import PYTHON, ROOT


def me(url: str, token: str) -> int:
    return Api(url, token).get("/api/me").status_code


def test_a_session_unused_for_the_idle_time_ends_and_each_use_restarts_the_clock(stack):
    srv = stack.server(SESSION_IDLE_SECONDS="3", SESSION_MAX_AGE_SECONDS="600")
    try:
        _, token = register(srv.url)
        for _ in range(3):  # used every 1.5 s: alive well past 3 s in all
            time.sleep(1.5)
            assert me(srv.url, token) == 200
        time.sleep(4.5)
        assert me(srv.url, token) == 401
    finally:
        srv.close()


def test_a_session_ends_at_its_maximum_age_however_much_it_is_used(stack):
    srv = stack.server(SESSION_IDLE_SECONDS="4", SESSION_MAX_AGE_SECONDS="4")
    try:
        _, token = register(srv.url)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            assert me(srv.url, token) == 200
            time.sleep(0.5)
        time.sleep(2)
        assert me(srv.url, token) == 401
    finally:
        srv.close()


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"SESSION_IDLE_SECONDS": "100", "SESSION_MAX_AGE_SECONDS": "50"},
            "SESSION_IDLE_SECONDS: must be between",
        ),
        ({"SESSION_MAX_AGE_SECONDS": "soon"}, "SESSION_MAX_AGE_SECONDS: expected a whole number"),
    ],
)
def test_lifetimes_that_make_no_sense_are_one_clear_line(env, expected):
    full = {k: v for k, v in os.environ.items() if not k.startswith(("CHAT_", "PYTEST_"))}
    full.update(DATABASE_URL="sqlite:///unused.db", SECRET_KEY="k" * 32, **env)
    done = subprocess.run(
        [PYTHON, "-m", "app", "serve"], cwd=ROOT, env=full, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and expected in done.stderr, done.stderr


def test_signing_out_everywhere_ends_every_session_and_closes_their_sockets(stack):
    """Two devices (two sign-ins), each with a socket, on two processes where Redis joins them;
    one request ends both, the sockets close, and another user is untouched."""
    from tests.support.client import SioClient
    from tests.support.settings import BACKEND

    servers = [stack.server()] + ([stack.server()] if BACKEND == "postgres" else [])
    try:
        first, second = servers[0], servers[-1]
        user, phone = register(first.url, password="correct horse")
        laptop = Api(first.url).login(user["username"], "correct horse").json()["token"]
        _, other = register(first.url)
        sockets = [SioClient(first.url, phone), SioClient(second.url, laptop)]
        try:
            assert Api(second.url, laptop).post("/api/logout-everywhere", {}).status_code == 204
            for socket in sockets:
                assert socket.disconnected.wait(10), "a socket of an ended session stayed open"
        finally:
            for socket in sockets:
                socket.close()
        assert me(first.url, phone) == 401 and me(second.url, laptop) == 401
        assert me(first.url, other) == 200
        assert Api(first.url, phone).post("/api/logout-everywhere", {}).status_code == 401
    finally:
        for srv in servers:
            srv.close()


def test_a_socket_closes_when_its_session_ends_by_age(stack):
    """Not only logout: a session that ended by time closes its sockets within a sweep
    (PRESENCE_HEARTBEAT seconds), and the socket cannot come back with the token."""
    from tests.support.client import SioClient

    srv = stack.server(SESSION_IDLE_SECONDS="3", SESSION_MAX_AGE_SECONDS="3", PRESENCE_HEARTBEAT="1")
    try:
        _, token = register(srv.url)
        socket = SioClient(srv.url, token)
        try:
            assert socket.disconnected.wait(10), "the socket of an ended session stayed open"
        finally:
            socket.close()
        assert me(srv.url, token) == 401
    finally:
        srv.close()


def _login(url: str, username: str, password: str, ip: str):
    return Api(url).call(
        "POST",
        "/api/login",
        {"username": username, "password": password},
        token=None,
        headers={"X-Forwarded-For": ip},
    )


def test_failed_sign_ins_back_off_per_account_from_any_number_of_addresses(stack):
    """Password spraying from many addresses meets the account's own backoff: after the free
    failures every attempt waits (the right password too, so a guess cannot be confirmed),
    doubling; the wait is the same for a name that does not exist; success resets it."""
    srv = stack.server(PROXY_HOPS="1", LOGIN_FREE_FAILURES="3", LOGIN_BACKOFF_MAX_SECONDS="4")
    try:
        user, _ = register(srv.url, password="correct horse")
        name = user["username"]
        codes = [_login(srv.url, name, "wrong guess", f"198.51.100.{i}").status_code for i in range(4)]
        assert codes == [401, 401, 401, 401]  # the 4th failure starts a 1 s backoff
        locked = _login(srv.url, name, "correct horse", "203.0.113.9")
        assert locked.status_code == 429 and locked.json()["error"]["code"] == "rate_limited"
        assert int(locked.headers["Retry-After"]) >= 1
        time.sleep(1.2)
        assert _login(srv.url, name, "wrong again", "203.0.113.10").status_code == 401  # now 2 s
        time.sleep(0.5)
        assert _login(srv.url, name, "correct horse", "203.0.113.11").status_code == 429
        time.sleep(2)
        assert _login(srv.url, name, "correct horse", "203.0.113.12").status_code == 200
        assert _login(srv.url, name, "wrong guess", "203.0.113.13").status_code == 401  # reset
        ghost = [
            _login(srv.url, f"nobody-{user['id']}-x", "x" * 12, f"192.0.2.{i}").status_code for i in range(5)
        ]
        assert ghost[:4] == [401] * 4 and ghost[4] == 429  # unknown names back off the same way
    finally:
        srv.close()


def test_without_redis_sessions_live_in_the_database_and_survive_a_restart(stack):
    """The embedded default: a restart signs nobody out; sign-out, one or everywhere, still
    ends sessions at once, and the table holds only keyed hashes of the tokens."""
    srv = stack.server(REDIS_URL="")
    try:
        user, token = register(srv.url)
        second = Api(srv.url).post("/api/login", {"username": user["username"], "password": "correct horse"})
        other = second.json()["token"]
        third = Api(srv.url).post("/api/login", {"username": user["username"], "password": "correct horse"})
        assert Api(srv.url, third.json()["token"]).post("/api/logout").status_code == 204
    finally:
        srv.close()
    keys = [k for (k,) in stack.db.rows("SELECT key FROM sessions WHERE user_id = :u", u=user["id"])]
    assert len(keys) == 2 and token not in keys and other not in keys
    srv = stack.server(REDIS_URL="")
    try:
        assert me(srv.url, token) == 200 and me(srv.url, other) == 200
        assert me(srv.url, third.json()["token"]) == 401
        assert Api(srv.url, token).post("/api/logout-everywhere").status_code == 204
        assert me(srv.url, token) == 401 and me(srv.url, other) == 401
    finally:
        srv.close()
    assert stack.db.rows("SELECT key FROM sessions WHERE user_id = :u", u=user["id"]) == []
