"""A raw WebSocket to the service (websocket-client), for tests that send frames no Socket.IO
client would: split, dripped byte by byte, malformed, or closed in odd ways."""

from __future__ import annotations

import json
import struct
import time

import websocket

ABNORMAL = 1006  # no close frame before the connection ended (RFC 6455 section 7.1.5)
NO_STATUS = 1005  # a close frame without a status code


def open_session(base: str, token: str) -> websocket.WebSocket:
    """A raw WebSocket past the engine.io open packet and the socket.io connect."""
    url = base.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    ws = websocket.create_connection(url, timeout=10)
    opened = ws.recv()
    assert opened.startswith("0{"), opened
    ws.send("40" + json.dumps({"token": token}))
    connected = ws.recv()
    assert connected.startswith("40"), connected
    return ws


def close_code(ws: websocket.WebSocket, timeout: float) -> int:
    """The code of the close frame the server sends (answering no engine.io ping), or 1006
    when the connection ends without one."""
    deadline = time.monotonic() + timeout
    ws.settimeout(1)
    try:
        while time.monotonic() < deadline:
            try:
                opcode, data = ws.recv_data(control_frame=True)
            except websocket.WebSocketTimeoutException:
                continue
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                return struct.unpack("!H", data[:2])[0] if len(data) >= 2 else NO_STATUS
        raise AssertionError(f"connection still open after {timeout}s")
    except (websocket.WebSocketConnectionClosedException, ConnectionError):
        return ABNORMAL
    finally:
        ws.shutdown()
