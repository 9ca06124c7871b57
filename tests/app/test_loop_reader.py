"""The event-loop reader (app/fastpath/loopreader.py; ``WS_LOOP_READER``, on by default under
eventlet): an idle WebSocket connection holds no green thread, and whatever a peer sends over
the WebSocket (whole, split into fragments, dripped a byte at a time, several packets in one
segment, control frames between fragments, a close, a protocol error, a vanished peer) reaches
the service or ends the connection as RFC 6455 and engine.io say."""

from __future__ import annotations

import json
import os
import signal
import struct
import time

import pytest
import websocket

from app.server import MAX_FRAME
from tests.support.client import register
from tests.support.rawws import close_code, open_session

ABNF = websocket.ABNF


# the reader is a fast path: these servers run with FASTPATH=1 whatever the suite's setting
READER = {"ASYNC_MODE": "eventlet", "FASTPATH": "1"}


@pytest.fixture(scope="module")
def srv(stack):
    return stack.server(**READER)


def census(server) -> dict:
    """The server's census line (SIGUSR1, app/green.py) written after this call."""
    before = len(server.logs().splitlines())
    os.kill(server.pid, signal.SIGUSR1)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        time.sleep(0.1)
        lines = server.logs().splitlines()[before:]
        found = [json.loads(x)["census"] for x in lines if x.startswith('{"census"')]
        if found:
            return found[0]
    raise AssertionError("no census line")


def frame(data, opcode=ABNF.OPCODE_TEXT, fin=1) -> bytes:
    """A client frame (masked, as RFC 6455 requires of clients)."""
    return ABNF.create_frame(data, opcode, fin).format()


def event(ack_id: int, name: str, data) -> str:
    """A socket.io event with an acknowledgement id, as an engine.io message."""
    return f"42{ack_id}" + json.dumps([name, data])


def replies(ws, count: int, timeout: float = 10) -> list[tuple[int, str | bytes]]:
    """The next ``count`` frames (control frames included) the server sends, skipping its
    engine.io pings."""
    got = []
    ws.settimeout(timeout)
    while len(got) < count:
        opcode, data = ws.recv_data(control_frame=True)
        if opcode == ABNF.OPCODE_TEXT and data == b"2":
            continue
        got.append((opcode, data))
    return got


def answer(data: bytes, ack_id: int):
    text = data.decode()
    assert text.startswith(f"43{ack_id}"), text
    return json.loads(text[2 + len(str(ack_id)) :])[0]


def test_idle_connections_hold_no_green_thread_each_and_the_switch_turns_it_off(stack):
    grown = {}
    for switch in ("1", "0"):
        server = stack.server(**READER, WS_LOOP_READER=switch)
        try:
            token = register(server.url)[1]
            base = census(server)["greenlets"]
            sockets = [open_session(server.url, token) for _ in range(40)]
            time.sleep(0.5)  # the connect handlers' green threads end
            grown[switch] = census(server)["greenlets"] - base
            for ws in sockets:
                ws.close()
        finally:
            server.close()
    assert grown["1"] < 10, grown  # the hub reads them; the count does not follow the sockets
    assert grown["0"] >= 40, grown  # one parked reader per connection


def test_a_message_in_fragments_dripped_a_byte_at_a_time_with_a_ping_between(srv):
    ws = open_session(srv.url, register(srv.url)[1])
    text = event(7, "join", {"room": "no-such-room"}).encode()
    wire = (
        frame(text[:5], fin=0)
        + frame(b"are you there", ABNF.OPCODE_PING)  # control frames may come between fragments
        + frame(text[5:12], ABNF.OPCODE_CONT, fin=0)
        + frame(text[12:], ABNF.OPCODE_CONT)
    )
    for i in range(len(wire)):
        ws.sock.sendall(wire[i : i + 1])
        time.sleep(0.002)
    (pong_op, pong), (text_op, ack) = replies(ws, 2)
    assert (pong_op, pong) == (ABNF.OPCODE_PONG, b"are you there")
    assert text_op == ABNF.OPCODE_TEXT
    assert answer(ack, 7)["error"]["code"] == "not_found"
    ws.close()


def test_packets_sent_in_one_segment_are_each_answered(srv):
    """Each is handled in a green thread of its own, as engine.io's reader does: the answers
    come in the order the handlers finish."""
    ws = open_session(srv.url, register(srv.url)[1])
    ws.sock.sendall(b"".join(frame(event(i, "join", {"room": f"none-{i}"}).encode()) for i in range(1, 6)))
    answered = {}
    for _, data in replies(ws, 5):
        ack_id = int(data.decode()[2:3])
        answered[ack_id] = answer(data, ack_id)["error"]["message"]
    assert answered == {i: f"no room named 'none-{i}'" for i in range(1, 6)}
    ws.close()


def test_a_peer_close_is_echoed_with_its_code(srv):
    ws = open_session(srv.url, register(srv.url)[1])
    ws.send_close(status=4001, reason=b"bye")
    assert close_code(ws, 10) == 4001


def test_an_unmasked_client_frame_is_a_protocol_error(srv):
    ws = open_session(srv.url, register(srv.url)[1])
    ws.sock.sendall(b"\x81\x02hi")  # RFC 6455 section 5.1: a server closes on an unmasked frame
    assert close_code(ws, 10) == 1002


def test_a_message_over_the_limit_across_fragments_is_refused_on_the_header(srv):
    ws = open_session(srv.url, register(srv.url)[1])
    half = MAX_FRAME // 2 + 1
    ws.sock.sendall(frame(b"4" + b"x" * (half - 1), fin=0))
    # the last fragment's header alone takes the message over the limit
    ws.sock.sendall(struct.pack("!BBQ", 0x80, 0x80 | 127, half))
    assert close_code(ws, 10) == 1009


def test_peers_that_vanish_leave_no_descriptor_behind(srv):
    token = register(srv.url)[1]

    def fds() -> int:
        return len(os.listdir(f"/proc/{srv.pid}/fd"))

    open_session(srv.url, token).close()  # pools and listeners warmed up
    time.sleep(0.5)
    base = fds()
    sockets = [open_session(srv.url, token) for _ in range(20)]
    assert fds() >= base + 20
    for ws in sockets:
        ws.sock.close()  # no close frame: the TCP connection just ends
    deadline = time.monotonic() + 10
    while fds() > base + 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert fds() <= base + 2, (base, fds())


@pytest.mark.parametrize("switch", ["1", "0"])
def test_a_binary_attachment_reaches_socket_io_as_bytes(stack, switch):
    """A socket.io event with a binary attachment: its placeholder in a text frame, the bytes
    in a binary frame. The service takes no binary payloads; the answer is the same whether
    the event loop or engine.io's reader read it."""
    server = stack.server(**READER, WS_LOOP_READER=switch)
    try:
        ws = open_session(server.url, register(server.url)[1])
        ws.send('451-3["join",{"_placeholder":true,"num":0}]')
        ws.send_binary(b"\x00\x01room")
        (_, data) = replies(ws, 1)[0]
        assert answer(data, 3)["error"]["code"] == "invalid_payload"
        ws.close()
    finally:
        server.close()
