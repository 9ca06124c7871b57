"""What operators rely on: client IPs behind proxies, CORS, logs without secrets, EMF metrics."""

import json
import os
import re
import signal
import time
import uuid

import pytest
import requests

from tests.support.client import Api, SioClient, register


@pytest.fixture(scope="module")
def limited(stack):
    srv = stack.server(AUTH_RATE_LIMIT="3/minute", PROXY_HOPS=1)
    yield srv
    srv.close()


def login_from(url, forwarded_for):
    # a name of its own each time: the per-account backoff (test_sessions.py) stays out of it
    return requests.post(
        url + "/api/login",
        json={"username": f"nobody-{uuid.uuid4().hex[:12]}", "password": "whatever1"},
        headers={"X-Forwarded-For": forwarded_for},
        timeout=10,
    )


def test_auth_attempts_are_limited_per_client_ip_from_the_trusted_hop(limited):
    url = limited.url
    for _ in range(3):
        assert login_from(url, "203.0.113.7").status_code == 401
    r = login_from(url, "203.0.113.7")
    assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited"
    assert int(r.headers["Retry-After"]) >= 1
    # a client cannot choose its own IP: what it prepends is not trusted
    assert login_from(url, "198.51.100.1, 203.0.113.7").status_code == 429
    # the address the trusted proxy appended is what counts
    assert login_from(url, "203.0.113.7, 203.0.113.8").status_code == 401
    # register counts in the same budget
    for _ in range(2):
        login_from(url, "203.0.113.9")
    r = requests.post(
        url + "/api/register",
        json={"username": "abc", "password": "x"},
        headers={"X-Forwarded-For": "203.0.113.9"},
        timeout=10,
    )
    assert r.status_code == 400
    r = requests.post(
        url + "/api/register",
        json={"username": "abcd", "password": "passwordxx"},
        headers={"X-Forwarded-For": "203.0.113.9"},
        timeout=10,
    )
    assert r.status_code == 429


def test_without_proxy_hops_forwarded_headers_are_ignored(stack):
    srv = stack.server(AUTH_RATE_LIMIT="2/minute")
    try:
        for ip in ("192.0.2.1", "192.0.2.2"):
            assert login_from(srv.url, ip).status_code == 401
        assert login_from(srv.url, "192.0.2.3").status_code == 429
    finally:
        srv.close()


def test_cors_only_for_the_configured_origins(stack):
    srv = stack.server(CORS_ORIGINS="https://chat.example.com")
    try:
        pre = requests.options(
            srv.url + "/api/rooms",
            headers={
                "Origin": "https://chat.example.com",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            },
            timeout=10,
        )
        assert pre.headers.get("Access-Control-Allow-Origin") == "https://chat.example.com"
        evil = requests.get(srv.url + "/api/rooms", headers={"Origin": "https://evil.example"}, timeout=10)
        assert "Access-Control-Allow-Origin" not in evil.headers
        assert handshake(srv.url, "https://chat.example.com").status_code == 200
        assert handshake(srv.url, "https://evil.example").status_code == 400
        assert handshake(srv.url, srv.url).status_code == 200  # same origin stays allowed
    finally:
        srv.close()


def handshake(url, origin, **headers):
    """An Engine.IO handshake as a browser page of that origin would make it."""
    return requests.get(
        url + "/socket.io/",
        params={"EIO": "4", "transport": "polling"},
        headers={"Origin": origin, **headers},
        timeout=10,
    )


def test_a_forwarded_host_header_does_not_make_an_origin_the_same(stack):
    """X-Forwarded-Host is whatever the client sent: an origin is the same only by the Host the
    connection was made to, or listed in CORS_ORIGINS (behind CloudFront, the site's origin)."""
    srv = stack.server(PROXY_HOPS="2", CORS_ORIGINS="https://chat.example.com")
    try:
        forged = {"X-Forwarded-Host": "evil.example"}
        assert handshake(srv.url, "https://evil.example", **forged).status_code == 400
        assert handshake(srv.url, "https://chat.example.com", **forged).status_code == 200
        assert handshake(srv.url, srv.url, **forged).status_code == 200
    finally:
        srv.close()


def test_same_origin_only_by_default(server):
    r = requests.get(server.url + "/api/rooms", headers={"Origin": "https://elsewhere.example"}, timeout=10)
    assert "Access-Control-Allow-Origin" not in r.headers
    assert handshake(server.url, "https://elsewhere.example").status_code == 400
    assert handshake(server.url, server.url).status_code == 200


def test_logs_are_json_lines_without_tokens_or_passwords(stack):
    srv = stack.server()
    try:
        password = "a very secret passphrase"
        user, token = register(srv.url, password=password)
        login = Api(srv.url).post("/api/login", {"username": user["username"], "password": password}).json()
        c = SioClient(srv.url, token)
        c.close()
        Api(srv.url, token).get("/api/me")
        time.sleep(0.3)
        logs = srv.logs()
        assert password not in logs and token not in logs and login["token"] not in logs
        lines = [ln for ln in logs.splitlines() if ln.startswith("{")]
        assert lines
        records = [json.loads(ln) for ln in lines]
        assert any(r.get("path") == "/api/me" and r.get("request_id") for r in records)
        assert any(r.get("message") == "connect" and r.get("sid") for r in records)
    finally:
        srv.close()


def test_metrics_are_written_as_cloudwatch_emf(stack, tmp_path):
    out = (tmp_path / "stdout").open("w")
    srv = stack.server(stdout=out, METRICS_INTERVAL=1, APP_ENV="test", PRESENCE_HEARTBEAT=1)
    try:
        user, token = register(srv.url)
        room = Api(srv.url, token).post("/api/rooms", {"name": f"emf-{user['id']}"}).json()["room"]["name"]
        c = SioClient(srv.url, token)
        c.call("join", {"room": room})
        c.call("send", {"room": room, "body": "counted"})
        deadline = time.monotonic() + 10
        records = []
        while time.monotonic() < deadline:
            text = (tmp_path / "stdout").read_text()
            records = [json.loads(ln) for ln in text.splitlines() if ln.startswith("{")]
            if any(r["MessagesSent"] >= 1 for r in records):
                break
            time.sleep(0.3)
        c.close()
        assert records, "no EMF line"
        rec = next(r for r in records if r["MessagesSent"] >= 1)
        meta = rec["_aws"]["CloudWatchMetrics"][0]
        assert meta["Namespace"] == "Chat/App" and meta["Dimensions"] == [["Env"]]
        assert {m["Name"] for m in meta["Metrics"]} == {
            "ActiveConnections",
            "MessagesSent",
            "Errors",
            "LoginFailures",
        }
        assert rec["Env"] == "test" and rec["ActiveConnections"] == 1
    finally:
        srv.close()
        out.close()


def test_sigterm_stops_the_server_cleanly_with_clients_connected(stack):
    srv = stack.server()
    try:
        user, token = register(srv.url)
        room = Api(srv.url, token).post("/api/rooms", {"name": f"term-{user['id']}"}).json()["room"]["name"]
        clients = [SioClient(srv.url, token) for _ in range(3)]
        for c in clients:
            c.call("join", {"room": room})
        srv.proc.terminate()
        assert srv.proc.wait(15) == 0
        logs = srv.logs()
        assert "Traceback" not in logs and "handler error" not in logs, logs[-2000:]
        assert '"message": "stopped"' in logs
        for c in clients:
            c.close()
    finally:
        srv.close()


def test_sigusr1_writes_a_census_of_green_threads_and_the_server_keeps_serving(stack):
    srv = stack.server()
    try:
        _, token = register(srv.url)
        clients = [SioClient(srv.url, token) for _ in range(3)]
        os.kill(srv.pid, signal.SIGUSR1)
        deadline = time.monotonic() + 10
        census = []
        while not census and time.monotonic() < deadline:
            time.sleep(0.1)
            census = [json.loads(x)["census"] for x in srv.logs().splitlines() if x.startswith('{"census"')]
        assert census, srv.logs()[-2000:]
        # the hub and the housekeeping loops at least (open sockets are read by the event
        # loop itself: tests/app/test_loop_reader.py counts those)
        assert census[0]["greenlets"] >= 3, census
        assert census[0]["threads"] >= 1 and census[0]["gc_objects"] > 0
        assert requests.get(srv.url + "/healthz", timeout=10).status_code == 200
        for c in clients:
            c.close()
    finally:
        srv.close()


def _csp(response) -> dict[str, list[str]]:
    policy = response.headers.get("Content-Security-Policy", "")
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in policy.split(";")) if d}


def test_every_response_carries_the_sites_strict_policy(stack):
    """The same CSP as CloudFront's on HTML, API answers, errors and files: no scheme-wide
    sources (ws:, wss:, https:), nothing inline, no framing; HSTS behind the TLS proxies."""
    srv = stack.server(PROXY_HOPS="2")
    try:
        responses = {
            "html": requests.get(srv.url + "/", timeout=10),
            "api error": requests.get(srv.url + "/api/rooms", timeout=10),
            "not found": requests.get(srv.url + "/api/nothing-here", timeout=10),
            "health": requests.get(srv.url + "/healthz", timeout=10),
        }
        for kind, response in responses.items():
            csp = _csp(response)
            assert csp, kind
            assert csp["default-src"] == ["'self'"] and csp["script-src"] == ["'self'"], kind
            assert csp["style-src"] == ["'self'"] and csp["frame-ancestors"] == ["'none'"], kind
            sources = [s for values in csp.values() for s in values]
            wide = {"ws:", "wss:", "https:", "http:", "'unsafe-inline'", "*"}
            assert not wide & set(sources), (kind, sources)
            assert response.headers["Strict-Transport-Security"].startswith("max-age=63072000"), kind
            assert response.headers["X-Frame-Options"] == "DENY", kind
    finally:
        srv.close()


def test_hsts_is_not_sent_on_plain_local_http(server):
    response = requests.get(server.url + "/healthz", timeout=10)
    assert "Strict-Transport-Security" not in response.headers
    assert _csp(response)["connect-src"][0] == "'self'"


@pytest.mark.parametrize(("settings", "written"), [({}, False), ({"METRICS_EMF": "1"}, True)])
def test_locally_no_metrics_are_written_unless_asked_for(stack, tmp_path, settings, written):
    """APP_ENV unset is a person's machine: no EMF blob on the console every minute."""
    out = (tmp_path / "stdout").open("w")
    srv = stack.server(stdout=out, METRICS_INTERVAL=1, APP_ENV="", **settings)
    try:
        deadline = time.monotonic() + (5 if written else 3.5)
        while time.monotonic() < deadline and not (tmp_path / "stdout").read_text():
            time.sleep(0.2)
        assert ('"_aws"' in (tmp_path / "stdout").read_text()) is written
    finally:
        srv.close()
        out.close()


def test_text_logs_are_one_short_line_per_request(stack):
    srv = stack.server(LOG_FORMAT="text", LOG_LEVEL="INFO")
    try:
        requests.get(srv.url + "/api/me", timeout=10)
        time.sleep(0.3)
        lines = srv.logs().splitlines()
    finally:
        srv.close()
    assert not [ln for ln in lines if ln.startswith("{")], lines
    request_line = r"\d\d:\d\d:\d\d INFO +chat\.http +GET /api/me 401 [\d.]+ms"
    assert any(re.fullmatch(request_line, ln) for ln in lines), lines
    serving = [ln for ln in lines if "serving on http://127.0.0.1:" in ln]
    assert len(serving) == 1 and "sessions=" in serving[0] and "uploads=" in serving[0], lines
