"""Engine.IO's WebSocket transport without two greenlets per connection.

python-engineio (4.15) gives every WebSocket connection a writer greenlet fed by a queue, and
a third greenlet that sleeps ``ping_interval`` before each ping. For a chat server that fans
one message out to hundreds of sockets that costs, per delivery, a queue put, a switch to the
writer, a packet encode and a frame build; and per idle connection two greenlets with their
saved stacks. ``DirectSocket`` replaces both with:

* **direct writes**: a frame goes to the kernel from the greenlet that sends it, with a
  non-blocking ``send``; only when the kernel buffer is full does the rest wait in the
  socket's backlog, flushed in order by a greenlet that exists only while there is a backlog.
  The frame bytes are built once per packet object, so a broadcast encodes its frame once
  for every recipient.
* **one write per socket per turn**: frames written to a socket while a green thread runs
  (a burst of messages the Redis listener handles in one go, an ack and the message after
  it) wait until that green thread gives the event loop back, then go in one ``send``: one
  system call and one TCP segment for the lot, for this process and for the client (a
  Node.js server gets the same from its write queue).
* **a bounded backlog**: a client that stops reading is disconnected once
  ``BACKLOG_LIMIT`` bytes wait for it (it reconnects and re-joins with ``since``), instead
  of holding memory without bound.
* **one ping timer per process**: sockets whose ping is due wait in one FIFO (the interval
  is the same for all, so insertion order is due order), served by one greenlet.

Everything else (handshake, upgrade from long-polling, packet parsing, timeouts) is
engine.io's. The fast path applies to eventlet's WebSocket over a plain socket; any other
WebSocket (gevent's) keeps the stock writer and only shares the ping timer.
"""

from __future__ import annotations

import _socket
import collections
import logging
import ssl
import time

import engineio
import engineio.socket
from engineio import packet as eio_packet

from .framewriter import BACKLOG_LIMIT, CLOSE_WAIT, FrameWriter, _EndOfTurn, frame_for, unmask

log = logging.getLogger("chat.ws")

_StockSocket = engineio.socket.Socket


class PingTimer:
    """One greenlet sends every socket its ping when due (engine.io's heartbeat)."""

    def __init__(self, server):
        self.server = server
        self.due: collections.deque = collections.deque()
        self.task = None

    def add(self, sock) -> None:
        self.due.append((time.monotonic() + self.server.ping_interval, sock))
        if self.task is None:
            self.task = self.server.start_background_task(self._run)

    def _run(self) -> None:
        try:
            while self.due:
                when, sock = self.due[0]
                delay = when - time.monotonic()
                if delay > 0:
                    self.server.sleep(delay)
                    continue
                self.due.popleft()
                try:
                    sock.ping_now()
                except Exception:
                    log.exception("ping failed", extra={"sid": sock.sid})
        finally:
            self.task = None


def _ping_timer(server) -> PingTimer:
    timer = server.__dict__.get("_chat_ping_timer")
    if timer is None:
        timer = server._chat_ping_timer = PingTimer(server)
    return timer


class DirectSocket(_StockSocket):
    writer: FrameWriter | None = None
    backlog_limit = BACKLOG_LIMIT
    loop_reader = False  # eventlet: the event loop reads idle connections (loopreader.py)

    # ---------------------------------------------------------------- heartbeat
    def schedule_ping(self):
        if self.last_ping:
            self.last_ping = None
            _ping_timer(self.server).add(self)

    def ping_now(self) -> None:
        if not self.closing and not self.closed:
            self.last_ping = time.time()
            self.send(eio_packet.Packet(eio_packet.PING))

    # ---------------------------------------------------------------- output
    def send(self, pkt):
        writer = self.writer
        if writer is None:
            return super().send(pkt)
        if self.check_ping_timeout():
            writer.write(frame_for(pkt))
        return None

    def close(self, wait=True, abort=False, reason=None):
        writer = self.writer
        if writer is None:
            return super().close(wait=wait, abort=abort, reason=reason)
        if self.closed or self.closing:
            return None
        self.closing = True
        self.server._trigger_event(
            "disconnect", self.sid, reason or self.server.reason.SERVER_DISCONNECT, run_async=False
        )
        if not abort:
            writer.write(frame_for(eio_packet.Packet(eio_packet.CLOSE)))
            writer.uncork()
        self.closed = True
        if not abort and writer.flusher is not None:
            # the close frame waits behind a backlog: flush it without holding up the caller
            self.server.start_background_task(self._close_ws, True)
        else:
            self._close_ws(graceful=not abort)
        return None

    def _close_ws(self, graceful: bool) -> None:
        writer, ws = self.writer, self._ws
        if ws is None:
            return  # closed already (_ws and writer are set together, _ws cleared only here)
        self._ws = None
        if graceful:
            writer.drain(CLOSE_WAIT, self.server.sleep)
        writer.done = True
        writer.backlog.clear()
        writer.corked = None
        reader = ws if hasattr(ws, "say_goodbye") else None  # a loopreader.LoopReader
        if writer.flusher is None:
            # nothing is mid-frame: the close frame can go the usual way, with a status a
            # client can tell from a dropped connection (eventlet's default has none)
            if reader is not None:
                reader.say_goodbye()
            else:
                ws.__dict__.pop("_send", None)
                ws.close(close_data=(1000, ""))
        elif reader is not None:
            reader.cut()
        else:
            # a chunk is half written: a close frame now would corrupt the stream; cut it
            try:
                ws.socket.close()
            except OSError:
                pass

    _ws = None

    # ---------------------------------------------------------------- transport
    def _websocket_handler(self, ws):
        sock = getattr(ws, "socket", None)
        if not _is_green_socket(sock):
            return super()._websocket_handler(ws)

        def websocket_wait():
            data = ws.wait()
            if data and len(data) > self.server.max_http_buffer_size:
                raise ValueError("packet is too large")
            return data

        sock.settimeout(self.server.ping_interval + self.server.ping_timeout)
        if self.connected:
            # an upgrade from long-polling: the probe, then the UPGRADE packet
            self.upgrading = True
            pkt = eio_packet.Packet(encoded_packet=websocket_wait())
            if pkt.packet_type != eio_packet.PING or pkt.data != "probe":
                self.upgrading = False
                return []
            ws.send(eio_packet.Packet(eio_packet.PONG, data="probe").encode())
            self.queue.put(eio_packet.Packet(eio_packet.NOOP))  # ends the pending poll
            pkt = eio_packet.Packet(encoded_packet=websocket_wait())
            if pkt.packet_type != eio_packet.UPGRADE:
                self.upgraded = False
                self.upgrading = False
                return []
            self.upgraded = True
            self.upgrading = False
        else:
            self.connected = True
            self.upgraded = True

        writer = FrameWriter(sock, self.server.start_background_task, self._overflowed, self.backlog_limit)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("websocket on the direct writer", extra={"sid": self.sid})
        # protocol-level frames eventlet writes itself (pong, close) keep the frame order
        ws._send = lambda frame: writer.write_control(frame, CLOSE_WAIT, self.server.sleep)
        # what was queued before and during the upgrade goes first, in order
        queue_empty = self.server.get_queue_empty_exception()
        while True:
            try:
                queued = self.queue.get(block=False)
            except queue_empty:
                break
            self.queue.task_done()
            if queued is not None:
                writer.write(frame_for(queued))
        self.writer = writer
        if self.loop_reader:
            # the event loop reads from here on; this request's green thread ends
            from .loopreader import LoopReader

            self._ws = LoopReader.detach(self, ws, sock)
            return []
        self._ws = ws

        while True:
            try:
                p = websocket_wait()
            except Exception as exc:  # noqa: BLE001 - any read failure ends this connection
                if not self.closed:
                    self.server.logger.info("%s: websocket read failed: %s", self.sid, exc)
                break
            if p is None:
                break
            try:
                self.receive(eio_packet.Packet(encoded_packet=p))
            except engineio.exceptions.UnknownPacketError:
                pass
            except engineio.exceptions.SocketIsClosedError:
                break
            except Exception:
                self.server.logger.exception("Unknown receive error")
                break

        self.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_CLOSE)
        self._close_ws(graceful=False)
        return []

    def _overflowed(self) -> None:
        log.warning(
            "client too slow: disconnected", extra={"sid": self.sid, "backlog_limit": self.backlog_limit}
        )
        # not from inside the sender's stack: close() runs the disconnect handlers
        self.server.start_background_task(
            self.close, wait=False, abort=True, reason=self.server.reason.TRANSPORT_ERROR
        )


def _is_green_socket(sock) -> bool:
    """An eventlet GreenSocket over a plain (not TLS) OS socket."""
    fd = getattr(sock, "fd", None)
    return isinstance(fd, _socket.socket) and not isinstance(fd, ssl.SSLSocket) and hasattr(sock, "sendall")


def install(backlog_limit: int = BACKLOG_LIMIT, eventlet: bool = False, loop_reader: bool = False) -> None:
    """Make engine.io create DirectSocket for every connection, and (eventlet) unmask
    client frames with ``unmask`` and, with ``loop_reader``, read WebSocket connections from
    the event loop (loopreader.py). Idempotent."""
    DirectSocket.backlog_limit = backlog_limit
    DirectSocket.loop_reader = eventlet and loop_reader
    engineio.socket.Socket = DirectSocket
    if eventlet:
        from eventlet.hubs import get_hub
        from eventlet.websocket import RFC6455WebSocket

        RFC6455WebSocket._apply_mask = staticmethod(unmask)
        _EndOfTurn.schedule = staticmethod(lambda fn: get_hub().schedule_call_global(0, fn))
