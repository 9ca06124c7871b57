"""The service's replacements for two library hot spots give the libraries' answers.

``app.framewriter.unmask`` stands in for eventlet's ``RFC6455WebSocket._apply_mask`` and
``ChatPacket.data_is_binary`` for python-socketio's ``Packet.data_is_binary``; each is
checked against the library's own implementation on generated inputs, and the frames
``wsdirect`` writes are parsed back with eventlet's own frame reader.
"""

from __future__ import annotations

import socket
import struct
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from socketio.packet import Packet

from app.fastpath import framewriter
from app.fastpath.siopacket import ChatPacket

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # eventlet's deprecation notice on import
    from eventlet.websocket import RFC6455WebSocket

STOCK_MASK = RFC6455WebSocket.__dict__["_apply_mask"].__func__


@settings(max_examples=400, deadline=None)
@given(
    data=st.binary(max_size=300),
    mask=st.tuples(*[st.integers(0, 255)] * 4),
    offset=st.integers(0, 7),
)
def test_unmask_matches_eventlet(data, mask, offset):
    assert framewriter.unmask(data, mask, length=len(data), offset=offset) == STOCK_MASK(
        data, mask, len(data), offset
    )
    assert framewriter.unmask(data, mask) == STOCK_MASK(data, mask)


def test_unmask_keeps_leading_zero_bytes():
    assert framewriter.unmask(b"\x01\x02\x03\x04\x05", (1, 2, 3, 4)) == b"\x00\x00\x00\x00\x04"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5) | st.binary(max_size=3),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=4),
    max_leaves=25,
)


@settings(max_examples=500, deadline=None)
@given(json_values)
def test_binary_scan_matches_python_socketio(value):
    assert ChatPacket.data_is_binary(value) == Packet.data_is_binary(value)


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 200_000])
def test_frames_parse_back_with_eventlet(size):
    """wsdirect's frames (all three length encodings) read back as the text that was sent."""
    text = "\u00e9" * (size // 2) + "x" * (size % 2)
    frame = framewriter.ws_frame(text.encode(), 0x1)
    a, b = socket.socketpair()
    try:
        reader = RFC6455WebSocket(b, {}, client=True)  # a client reads unmasked frames
        a.sendall(frame)
        a.shutdown(socket.SHUT_WR)
        assert reader.wait() == text
    finally:
        a.close()
        b.close()


def test_frame_header_lengths():
    assert framewriter.ws_frame(b"a" * 125, 1)[:2] == bytes((0x81, 125))
    assert framewriter.ws_frame(b"a" * 126, 1)[:4] == struct.pack("!BBH", 0x81, 126, 126)
    assert framewriter.ws_frame(b"a" * 65536, 2)[:10] == struct.pack("!BBQ", 0x82, 127, 65536)


def test_redis_readiness_check_under_eventlet_sees_pending_data():
    """The redis-readiness fast path answers redis-py's zero-timeout readiness test without
    the hub; the pool still sees a reply nobody read (so it never hands out a dirty connection)."""
    from tests.support.processes import run_module
    from tests.support.settings import REDIS_URL

    assert run_module("tests.support.scripts.redis_readiness", REDIS_URL).strip() == "[False, True, False]"


def test_frames_written_in_one_turn_go_out_in_one_send():
    """Frames written to a socket while a green thread runs are held until it yields, then
    sent with one system call in order (records of a SOCK_SEQPACKET pair show each send)."""
    from tests.support.processes import run_module

    assert run_module("tests.support.scripts.cork").strip() == "held True True []"
