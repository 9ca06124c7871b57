"""Admission before the upgrade (app/transport/admission.py): an Engine.IO handshake takes a
turn before anything is done for it and holds it until its Socket.IO connect is answered;
the HTTP API and open sessions never wait; a turn nobody claims goes back; a client that
left while it waited costs nothing more; one that waited too long is answered 503
`unavailable`.

Against a real server with two turns (ADMISSION_TURNS=2), raw WebSockets (websocket-client)
standing for clients that stop between the handshake and the connect; the middleware's own
edges with a real TCP connection closed by its peer.
"""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest
import requests
import websocket

from app.transport.admission import Admission
from tests.support.client import register
from tests.support.rawws import open_session

HOLD = 5.0  # admission.HOLD_SECONDS


@pytest.fixture(scope="module")
def srv(stack):
    return stack.server(ADMISSION_TURNS="2")


def handshake(base: str, timeout: float) -> websocket.WebSocket:
    """A WebSocket past the Engine.IO open packet, with no Socket.IO connect sent."""
    url = base.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    ws = websocket.create_connection(url, timeout=timeout)
    assert ws.recv().startswith("0{")
    return ws


def waits(base: str, seconds: float) -> bool:
    """Whether a handshake gets no answer within `seconds` (its client then gives up)."""
    try:
        handshake(base, seconds).close()
    except (websocket.WebSocketTimeoutException, TimeoutError):
        return True
    return False


def test_handshakes_beyond_the_turns_wait_until_a_connect_is_answered(srv):
    token = register(srv.url)[1]
    first, second = handshake(srv.url, 5), handshake(srv.url, 5)  # both turns held
    try:
        assert waits(srv.url, 1.0)
        # the HTTP API and health checks do not wait for a turn (which nobody gives back
        # here: they would wait the gate's 30 s, past these requests' own timeouts)
        assert requests.get(srv.url + "/healthz", timeout=5).status_code == 200
        me = requests.get(srv.url + "/api/me", headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert me.status_code == 200
        # the first client's connect is answered: its turn goes to the next handshake
        first.send("40" + json.dumps({"token": token}))
        assert first.recv().startswith("40")
        third = open_session(srv.url, token)
        third.close()
    finally:
        first.close()
        second.close()


def test_a_turn_no_connect_claims_goes_back_after_the_hold(srv):
    held = [handshake(srv.url, 5), handshake(srv.url, 5)]
    try:
        assert waits(srv.url, 1.0)
        time.sleep(HOLD)
        token = register(srv.url)[1]
        open_session(srv.url, token).close()  # the unclaimed turns went back
    finally:
        for ws in held:
            ws.close()


def test_a_refused_connect_gives_its_turn_back(srv):
    for _ in range(4):  # twice the turns: each refusal must have given its turn back
        ws = handshake(srv.url, 5)
        ws.send("40" + json.dumps({"token": "not-a-token-of-this-server"}))
        assert ws.recv().startswith("44")  # connect_error
        ws.close()
    open_session(srv.url, register(srv.url)[1]).close()


# ------------------------------------------------------------ the middleware's own edges
def tcp_pair():
    """(client, server side) of a real loopback TCP connection."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = socket.create_connection(listener.getsockname())
        accepted, _ = listener.accept()
    return client, accepted


class EventletInput:
    def __init__(self, sock):
        self.sock = sock

    def get_socket(self):
        return self.sock


def handshake_environ(sock=None) -> dict:
    env = {"REQUEST_METHOD": "GET", "PATH_INFO": "/socket.io/", "QUERY_STRING": "EIO=4&transport=websocket"}
    if sock is not None:
        env["eventlet.input"] = EventletInput(sock)
    return env


class App:
    def __init__(self):
        self.called = []

    def __call__(self, environ, start_response):
        self.called.append(environ)
        start_response("200 OK", [])
        return [b"ok"]


def call(gate, environ):
    status = []
    body = b"".join(gate(environ, lambda s, headers: status.append((s, dict(headers)))))
    return status[0], body


def test_a_client_that_left_while_it_waited_is_dropped_at_its_turn():
    app = App()
    gate = Admission(app, 1, hold=60)
    call(gate, handshake_environ())  # the only turn, held
    client, accepted = tcp_pair()
    try:
        out = {}
        waiter = threading.Thread(target=lambda: out.update(r=call(gate, handshake_environ(accepted))))
        waiter.start()
        time.sleep(0.1)
        client.close()  # gave up while it waited
        time.sleep(0.1)
        app.called[0]["chat.admission"].release()
        waiter.join(5)
        (status, _), _ = out["r"]
        assert status.startswith("503")
        assert len(app.called) == 1 and gate.dropped == 1 and gate.taken == 0
    finally:
        accepted.close()


def test_a_client_still_there_is_served_at_its_turn():
    app = App()
    gate = Admission(app, 1, hold=60)
    client, accepted = tcp_pair()
    try:
        (status, _), body = call(gate, handshake_environ(accepted))
        assert status == "200 OK" and body == b"ok" and gate.taken == 1
    finally:
        client.close()
        accepted.close()


def test_a_handshake_that_waits_too_long_is_answered_unavailable():
    app = App()
    gate = Admission(app, 1, hold=60, wait=0.2)
    call(gate, handshake_environ())
    (status, headers), body = call(gate, handshake_environ())
    assert status.startswith("503") and headers["Retry-After"] == "1"
    assert json.loads(body)["error"]["code"] == "unavailable"
    assert gate.refused == 1 and len(app.called) == 1


@pytest.mark.parametrize(
    "method, path, query",
    [
        ("GET", "/socket.io/", "EIO=4&transport=polling&sid=abc"),  # an open session's poll
        ("POST", "/socket.io/", "EIO=4&transport=polling&sid=abc"),
        ("GET", "/healthz", ""),
        ("POST", "/api/login", ""),
    ],
)
def test_other_requests_never_wait(method, path, query):
    app = App()
    gate = Admission(app, 1, hold=60, wait=0.2)
    call(gate, handshake_environ())  # every turn held
    (status, _), _ = call(gate, {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query})
    assert status == "200 OK" and gate.refused == 0


def test_a_ticket_is_given_back_once_whoever_comes_first():
    app = App()
    gate = Admission(app, 2, hold=0.2)
    call(gate, handshake_environ())
    ticket = app.called[0]["chat.admission"]
    ticket.claim()
    time.sleep(0.5)  # past the hold: a claimed ticket is not expired
    assert gate.taken == 1
    ticket.release()
    ticket.release()
    assert gate.taken == 0
    call(gate, handshake_environ())
    time.sleep(0.6)  # unclaimed: expired by the sweep
    assert gate.taken == 0


def test_the_sweep_ends_as_soon_as_every_ticket_is_given_back():
    """Its green thread does not outlive the handshakes by the hold (60 s here)."""
    app = App()
    gate = Admission(app, 2, hold=60)
    before = threading.active_count()
    call(gate, handshake_environ())
    assert threading.active_count() == before + 1  # the sweep, for the unclaimed ticket
    app.called[0]["chat.admission"].release()
    deadline = time.monotonic() + 5
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() == before
