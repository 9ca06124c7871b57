"""Idle WebSocket connections without a green thread each (eventlet; ``WS_LOOP_READER``).

On eventlet's WSGI server a WebSocket connection keeps the green thread of the HTTP request
that upgraded it, parked in a blocking read for the connection's whole life. That green thread
holds its saved C stack and interpreter frames, the request's buffered reader and writer, the
environ and eventlet's WebSocket object: about 33 of the 47 KiB an idle connection costs.

Here, once the upgrade is done, that green thread ends. The connection is detached from the
WSGI server first (it shuts and closes the request's socket when the request ends, and
eventlet's WebSocket sends a close frame when its handler returns: both are turned off for
this socket only). From then on the event loop calls ``LoopReader.readable`` when the socket
has bytes. It reads what is there without blocking, parses the frames with wsproto (the
sans-IO WebSocket protocol), answers WebSocket pings and engine.io heartbeats in place, starts
the handling of each message the way engine.io does (a green thread per message), and hands
anything that may block (a close, which runs the disconnect handlers) to a green thread that
exists only while there is such work, in the order it arrived. Frames go out through the
socket's FrameWriter as before.
"""

from __future__ import annotations

import collections
import logging

import engineio
from engineio import packet as eio_packet
from eventlet.hubs import get_hub
from wsproto.connection import Connection, ConnectionState, ConnectionType
from wsproto.events import BytesMessage, CloseConnection, Ping, TextMessage
from wsproto.extensions import Extension
from wsproto.frame_protocol import CloseReason, Opcode, RsvBits

log = logging.getLogger("chat.ws")

READ_SIZE = 64 * 1024  # bytes read per readiness event; more waits for the next one
# packets handled in the event loop itself: nothing in their handling blocks (a message's is
# started in a green thread of its own when the server's async_handlers is on, its default)
_INLINE = (eio_packet.PING, eio_packet.PONG, eio_packet.NOOP)


class MessageLimit(Extension):
    """Refuses a message longer than ``limit`` bytes on the frame header that says so (close
    code 1009), before any of its payload is read or buffered. Never negotiated: wsproto's
    extension hook is where frame headers can be judged."""

    name = "chat-message-limit"
    __slots__ = ("limit", "total")
    _NONE = RsvBits(False, False, False)

    def __init__(self, limit: int):
        self.limit = limit
        self.total = 0  # bytes of the message being received so far, by its headers

    def enabled(self) -> bool:
        return True

    def offer(self) -> bool:
        return False  # nothing to negotiate

    def frame_inbound_header(self, proto, opcode, rsv, payload_len):
        if opcode.iscontrol():
            return self._NONE
        self.total = payload_len if opcode is not Opcode.CONTINUATION else self.total + payload_len
        return CloseReason.MESSAGE_TOO_BIG if self.total > self.limit else self._NONE


def _nothing(*_args, **_kwargs) -> None:
    """What the WSGI server's close and shutdown of a detached socket do, and the hub
    listener's throwback and mark-as-closed (the reader sees a closed socket itself):
    nothing."""


class LoopReader:
    """The reading side of one detached WebSocket connection."""

    __slots__ = (
        "conn",
        "ended",
        "esock",
        "goodbye",
        "listener",
        "parts",
        "queue",
        "raw",
        "sock",
        "worker",
    )

    def __init__(self, esock, sock):
        self.esock = esock  # the engine.io socket (wsdirect.DirectSocket)
        self.sock = sock  # eventlet GreenSocket of the request; its writer keeps using it
        self.raw = sock.fd
        self.conn = Connection(ConnectionType.SERVER, [MessageLimit(esock.server.max_http_buffer_size)])
        self.parts: list = []  # fragments of the message being received
        self.queue: collections.deque | None = None  # packets waiting for the worker
        self.worker = None
        self.listener = None
        self.ended = False
        self.goodbye: CloseConnection | None = None  # the close frame to send, if not 1000

    @classmethod
    def detach(cls, esock, ws, sock) -> LoopReader:
        """Take the connection over from the request's green thread, which then returns."""
        reader = cls(esock, sock)
        sock.close = sock.shutdown = _nothing  # instance attributes GreenSocket set up
        ws._send_closing_frame = _nothing  # WebSocketWSGI's goodbye when the handler returns
        hub = get_hub()
        reader.listener = hub.add(hub.READ, reader.raw.fileno(), reader.readable, _nothing, _nothing)
        return reader

    # ---------------------------------------------------------------- event loop side
    def readable(self, _fileno) -> None:
        """Called by the event loop: never blocks, never raises."""
        if self.ended:
            return
        try:
            self._read()
        except Exception:  # an error here must not stop the event loop
            log.exception("websocket read failed", extra={"sid": self.esock.sid})
            self._end()

    def _read(self) -> None:
        try:
            data = self.raw.recv(READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._end()
            return
        conn = self.conn
        conn.receive_data(data)
        for event in conn.events():
            if isinstance(event, TextMessage | BytesMessage):
                self.parts.append(event.data)
                if event.message_finished:
                    parts, self.parts = self.parts, []
                    joined = parts[0] if len(parts) == 1 else parts[0][:0].join(parts)
                    if isinstance(joined, bytearray):
                        joined = bytes(joined)  # engine.io tells binary packets by their type
                    if not self._packet(joined):
                        return
            elif isinstance(event, Ping):
                self.esock.writer.write(conn.send(event.response()))
            elif isinstance(event, CloseConnection):
                # the peer's close echoed, or the one a protocol error calls for (wsproto
                # reports those as a CloseConnection with their code: 1002, 1007, 1009)
                self.goodbye = event.response()
                self._end()
                return
            # a Pong answers nothing we sent: ignored

    def _packet(self, data) -> bool:
        """One engine.io packet; False once the connection is being closed."""
        try:
            pkt = eio_packet.Packet(encoded_packet=data)
        except Exception:  # noqa: BLE001 - a peer's bad packet ends its connection
            log.info("websocket packet not understood", extra={"sid": self.esock.sid})
            self._end()
            return False
        esock = self.esock
        inline = pkt.packet_type in _INLINE or (
            pkt.packet_type == eio_packet.MESSAGE and esock.server.async_handlers
        )
        if not inline or self.queue is not None:
            self._hand_over(pkt)  # may block (a close runs the disconnect handlers), or must wait its turn
            return True
        try:
            esock.receive(pkt)  # a pong noted, a message handed to a green thread of its own
        except engineio.exceptions.UnknownPacketError:
            pass
        except engineio.exceptions.SocketIsClosedError:
            self._end()
            return False
        return True

    def _end(self) -> None:
        """The peer left, closed or broke the protocol: stop reading, close in order."""
        if self.ended:
            return
        self.ended = True
        self._unlisten()
        self._hand_over(None)

    def _unlisten(self) -> None:
        listener, self.listener = self.listener, None
        if listener is not None:
            get_hub().remove(listener)

    # ---------------------------------------------------------------- worker side
    def _hand_over(self, pkt) -> None:
        """Queue a packet (None: the end) for the worker, starting it if none runs."""
        if self.queue is None:
            self.queue = collections.deque()
        self.queue.append(pkt)
        if self.worker is None:
            self.worker = self.esock.server.start_background_task(self._work)

    def _work(self) -> None:
        esock = self.esock
        try:
            while self.queue:
                pkt = self.queue.popleft()
                if pkt is None:
                    self._closed_by_peer()
                    return
                try:
                    esock.receive(pkt)
                except engineio.exceptions.UnknownPacketError:
                    pass
                except engineio.exceptions.SocketIsClosedError:
                    self._end()
                except Exception:  # as engine.io's own reader does: log, then close
                    esock.server.logger.exception("Unknown receive error")
                    self._end()
        finally:
            self.worker = None
            if not self.queue:
                self.queue = None

    def _closed_by_peer(self) -> None:
        self.queue = None
        esock = self.esock
        esock.close(wait=False, abort=True, reason=esock.server.reason.TRANSPORT_CLOSE)
        esock._close_ws(graceful=False)

    # ---------------------------------------------------------------- closing
    def say_goodbye(self) -> None:
        """The close frame (1000 unless the peer's close or a protocol error says otherwise),
        then the socket closed. Called once the writer is done."""
        self.ended = True
        self._unlisten()
        if self.conn.state in (ConnectionState.OPEN, ConnectionState.REMOTE_CLOSING):
            goodbye = self.goodbye or CloseConnection(code=CloseReason.NORMAL_CLOSURE)
            try:
                self.sock.sendall(self.conn.send(goodbye))
            except OSError:
                pass
        self.cut()

    def cut(self) -> None:
        """The socket closed at once (a frame is half written: no close frame can follow)."""
        self.ended = True
        self._unlisten()
        try:
            self.raw.close()
        except OSError:
            pass
