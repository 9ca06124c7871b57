"""Every server-side close of a WebSocket reaches the client with its RFC 6455 close code,
with the direct WebSocket transport (FASTPATH on, the default) as with engine.io's own.

A client that only sees the TCP connection end gets 1006 (abnormal closure) and cannot tell
a normal close from a crash, a too-big frame from a network fault.
"""

from __future__ import annotations

import json
import struct

import pytest
import requests
import websocket

from app.server import MAX_FRAME
from tests.support.client import register
from tests.support.rawws import ABNORMAL, NO_STATUS, close_code, open_session

# engine.io's transport ends a session with eventlet's status-less close frame; the direct
# transport says 1000 (normal closure)
NORMAL = {"fastpath": 1000, "stock": NO_STATUS}


@pytest.fixture(scope="module", params=["fastpath", "stock"])
def transport(request, stack):
    """(server, name): a server with the direct WebSocket transport, or with engine.io's own."""
    return stack.server(FASTPATH="1" if request.param == "fastpath" else "0"), request.param


def user_of(srv) -> str:
    """A token of a user registered on that server (the embedded default keeps sessions in
    its process)."""
    return register(srv.url)[1]


def test_logout_then_close_packet_closes_normally(transport):
    """Logout ends the socket.io session ("41") and leaves the transport to the client, whose
    engine.io close packet ("1") makes the server close the WebSocket."""
    srv, name = transport
    token = user_of(srv)
    ws = open_session(srv.url, token)
    r = requests.post(srv.url + "/api/logout", headers={"Authorization": f"Bearer {token}"}, timeout=15)
    assert r.status_code == 204
    assert ws.recv() == "41"
    ws.send("1")
    assert close_code(ws, 10) == NORMAL[name]


def test_oversized_frame_is_closed_with_1009(transport):
    ws = open_session(transport[0].url, user_of(transport[0]))
    # the header alone: the server refuses on the length, and payload it never reads would
    # still be in its receive buffer at close, which turns the FIN into a reset
    ws.sock.sendall(struct.pack("!BBQ", 0x81, 0x80 | 127, MAX_FRAME + 1))
    assert close_code(ws, 10) == 1009


def test_invalid_utf8_text_is_closed_with_1007(transport):
    """RFC 6455's code for it, 1007, from the event-loop reader (wsproto validates text as it
    arrives). eventlet 0.41, the stock transport's reader, decodes a text message once it is
    complete, outside the code that maps decode errors to 1007: the connection fails as an
    internal error, 1011."""
    ws = open_session(transport[0].url, user_of(transport[0]))
    ws.send_frame(websocket.ABNF.create_frame(b'42["send",{"body":"\xff\xfe"}]', websocket.ABNF.OPCODE_TEXT))
    assert close_code(ws, 10) == {"fastpath": 1007, "stock": 1011}[transport[1]]


def test_missed_pong_is_closed_with_a_close_frame(transport, stack):
    """A client that stops answering pings is cut either by engine.io's ping check (the
    transport's normal close) or, when the read timeout on its socket (ping interval + ping
    timeout) comes round first, by eventlet as 1011; which one wins is a race of two timers.
    Either way the client gets a close frame, never a dropped connection (1006)."""
    name = transport[1]
    srv = stack.server(FASTPATH="1" if name == "fastpath" else "0", PING_INTERVAL=1, PING_TIMEOUT=1)
    try:
        ws = open_session(srv.url, user_of(srv))
        assert close_code(ws, 15) in (NORMAL[name], 1011)
    finally:
        srv.close()


@pytest.mark.parametrize("frame", ["40{bad", "4x", "4", "49", "42", '42{"not": "a list"}', "4-1"])
@pytest.mark.parametrize("connected", [True, False], ids=["after-connect", "before-connect"])
def test_a_frame_that_is_not_socket_io_closes_the_connection_at_once(transport, frame, connected):
    """As the reference server does: no waiting for an answer until the ping timeout (25 +
    20 s here); the close comes well inside the ping interval."""
    srv, name = transport
    url = srv.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    if connected:
        ws = open_session(srv.url, user_of(srv))
    else:
        ws = websocket.create_connection(url, timeout=10)
        assert ws.recv().startswith("0{")
    ws.send(frame)
    assert close_code(ws, timeout=10) in (NORMAL[name], ABNORMAL)


def test_a_malformed_frame_on_long_polling_ends_the_session(transport):
    srv, _ = transport
    poll = srv.url + "/socket.io/?EIO=4&transport=polling"
    opened = requests.get(poll, timeout=10)
    sid = json.loads(opened.text[1:])["sid"]
    assert requests.post(f"{poll}&sid={sid}", data="40{bad", timeout=10).status_code == 200
    after = requests.get(f"{poll}&sid={sid}", timeout=10)  # answered at once, not after 25 s
    assert after.status_code == 400 or after.text.startswith("1"), after.text
    srv_ok = requests.get(poll, timeout=10)
    assert srv_ok.status_code == 200  # the server serves on
