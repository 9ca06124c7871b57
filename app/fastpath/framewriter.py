"""Frames for the direct WebSocket writer (wsdirect.py): building them once, writing them in
order without blocking, one write per socket per turn, and a bounded backlog."""

from __future__ import annotations

import collections
import logging
import struct
import time

from engineio import packet as eio_packet

log = logging.getLogger("chat.ws")

# bytes waiting for one client beyond what its kernel buffer took; past this the client is
# too slow for the room it is in and is disconnected (it catches up with `since`).
# WS_BACKLOG_LIMIT sets it (install()).
BACKLOG_LIMIT = 4 * 1024 * 1024
# how long a close frame waits for the frames before it to reach the kernel
CLOSE_WAIT = 5.0


class _EndOfTurn:
    """Writers with corked frames, uncorked by one callback once the running green thread
    yields to the event loop (``schedule(fn)``: run fn from the loop at its next turn)."""

    schedule = None  # set by install() under eventlet

    def __init__(self):
        self.dirty: list[FrameWriter] = []

    def add(self, writer: FrameWriter) -> None:
        if not self.dirty:
            self.schedule(self.flush)
        self.dirty.append(writer)

    def flush(self) -> None:
        dirty, self.dirty = self.dirty, []
        for writer in dirty:
            try:
                writer.uncork()
            except Exception:  # runs in the event loop itself: never let one socket stop it
                log.exception("socket write failed")


_end_of_turn = _EndOfTurn()


def frame_for(pkt: eio_packet.Packet) -> bytes:
    """The WebSocket frame carrying an engine.io packet, built once per packet object."""
    frame = pkt.__dict__.get("_ws_frame")
    if frame is None:
        encoded = pkt.encode()
        if isinstance(encoded, str):
            frame = ws_frame(encoded.encode("utf-8"), 0x1)
        else:
            frame = ws_frame(encoded, 0x2)
        pkt._ws_frame = frame
    return frame


def ws_frame(payload: bytes, opcode: int) -> bytes:
    """An unmasked, final, uncompressed frame (RFC 6455 section 5.2; servers never mask)."""
    n = len(payload)
    first = 0x80 | opcode
    if n < 126:
        return bytes((first, n)) + payload
    if n < 65536:
        return struct.pack("!BBH", first, 126, n) + payload
    return struct.pack("!BBQ", first, 127, n) + payload


class FrameWriter:
    """Ordered, non-blocking writes of whole frames to one green socket."""

    __slots__ = (
        "backlog",
        "corked",
        "done",
        "flusher",
        "limit",
        "on_overflow",
        "pending",
        "raw",
        "sock",
        "spawn",
    )

    def __init__(self, sock, spawn, on_overflow, limit: int = BACKLOG_LIMIT):
        self.limit = limit
        self.sock = sock  # eventlet GreenSocket: blocking-style sendall for the backlog
        self.raw = sock.fd  # the non-blocking OS socket under it
        self.spawn = spawn
        self.backlog: collections.deque = collections.deque()
        self.pending = 0
        self.flusher = None
        self.done = False
        self.on_overflow = on_overflow
        self.corked: list | None = None  # frames waiting for the end of this turn

    def write(self, frame) -> None:
        if self.done:
            return
        if self.flusher is None and _end_of_turn.schedule is not None:
            if self.corked is None:
                self.corked = [frame]
                _end_of_turn.add(self)
            else:
                self.corked.append(frame)
            # the limit is checked on what the kernel does not take when they are sent
            # (a join's history can be one frame above the limit on its own)
            self.pending += len(frame)
            return
        self._send(frame)

    def uncork(self) -> None:
        """Send what waited for the end of the turn, in one call."""
        frames, self.corked = self.corked, None
        if not frames or self.done:
            return
        data = frames[0] if len(frames) == 1 else b"".join(frames)
        self.pending -= len(data)
        self._send(data)

    def _overflow(self) -> None:
        self.done = True
        self.backlog.clear()
        self.corked = None
        self.on_overflow()

    def _send(self, frame) -> None:
        if self.flusher is None:
            try:
                sent = self.raw.send(frame)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError:
                # the peer is gone; the reader sees it too and closes the engine.io socket
                self.done = True
                return
            if sent == len(frame):
                return
            frame = memoryview(frame)[sent:]
            self.flusher = self.spawn(self._flush)
        self.backlog.append(frame)
        self.pending += len(frame)
        if self.pending > self.limit:
            self._overflow()

    def _flush(self) -> None:
        try:
            while self.backlog and not self.done:
                chunk = self.backlog.popleft()
                self.pending -= len(chunk)
                self.sock.sendall(chunk)
        except OSError:
            self.done = True
        finally:
            self.backlog.clear()
            self.flusher = None

    def drain(self, timeout: float, sleep) -> None:
        """Wait (bounded) until the backlog reached the kernel, before a close frame."""
        self.uncork()
        deadline = time.monotonic() + timeout
        while self.flusher is not None and time.monotonic() < deadline:
            sleep(0.05)

    def write_control(self, frame, timeout: float, sleep) -> None:
        """A frame eventlet writes itself. A pong waits for the end of the turn like any
        frame; a close frame cannot, as eventlet shuts the socket right after writing it.
        What was written before it goes first; a client that does not take that within
        ``timeout`` gets no close frame (one behind a half-sent chunk would corrupt the
        stream)."""
        if frame[0] & 0x0F != 0x8:
            self.write(frame)
            return
        deadline = time.monotonic() + timeout
        self.drain(timeout, sleep)
        if self.flusher is not None or self.done:
            return
        self._send(frame)
        self.drain(max(0.0, deadline - time.monotonic()), sleep)


def unmask(data, mask, length=None, offset=0) -> bytes:
    """XOR a client frame's payload with its 4-byte mask (RFC 6455 section 5.3).

    eventlet's own version builds one bytes object per payload byte (about 0.5 us each:
    10 ms for a 20 KB frame); this does the XOR on two big integers in C. Same signature
    and result as ``RFC6455WebSocket._apply_mask``."""
    if length is None:
        length = len(data)
    if length == 0:
        return b""
    key = bytes(mask[(offset + i) % 4] for i in range(4))
    key = (key * (length // 4 + 1))[:length]
    return (int.from_bytes(data[:length], "big") ^ int.from_bytes(key, "big")).to_bytes(length, "big")
