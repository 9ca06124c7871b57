"""Admission of new Socket.IO connections before anything is done for them.

In a reconnect storm thousands of clients open connections within a second, more than one
process can connect and join before socket.io-client's 20 s connect timeout. Each one let
straight in costs a WebSocket upgrade, an Engine.IO handshake and the read of its Socket.IO
connect, and when its client gives up waiting for the connect's answer, all of that was for
nothing: the client comes back with a new connection and the same work again (7,070 such
timeouts in a storm of 10,000, docs/benchmarks.md).

So an Engine.IO handshake (a request to the Socket.IO path without a session id) takes a
turn first, ``size`` at once, the rest waiting in order of arrival with nothing done for them
but the HTTP request's parse. A turn is held until the Socket.IO connect that follows it is
answered (the connect handler claims the ticket that this middleware leaves in the request's
environment and gives it back when done), or for ``hold`` seconds if no connect comes. A
request whose client left while it waited (its TCP connection closed by the peer) is dropped
at its turn without an answer, so a client that gave up costs nothing more. Every other
request, the HTTP API, health checks and the requests of sessions already open, passes
untouched.

Green threads: ``threading`` is the green one under eventlet and gevent (app/green.py).
"""

from __future__ import annotations

import socket
import threading
import time
from collections import OrderedDict
from urllib.parse import parse_qs

from .wsgi import refuse

# the environment key of a handshake's ticket, read by the Socket.IO connect handler
TICKET = "chat.admission"
# a handshake waits this long at most for its turn: longer than socket.io-client's 20 s
# connect timeout, so that in a storm the client gives up (and retries) before the server
# refuses it; answered 503 `unavailable` after that
WAIT_SECONDS = 30.0
# a turn not claimed by a Socket.IO connect within this goes back (a client that opened an
# Engine.IO session and sent no connect, or a polling handshake whose client never came back)
HOLD_SECONDS = 5.0

_LINUX_TCP_CLOSED = (7, 8)  # tcpi_state: TCP_CLOSE (reset), TCP_CLOSE_WAIT (the peer's FIN)


class Ticket:
    """One handshake's turn; given back once, whichever of its owners comes first."""

    __slots__ = ("_gate", "admitted", "claimed")

    def __init__(self, gate: Admission):
        self._gate: Admission | None = gate
        self.admitted = time.monotonic()
        self.claimed = False

    def claim(self) -> None:
        """The connect handler holds the turn now and gives it back itself: no expiry."""
        self.claimed = True

    def release(self) -> None:
        gate, self._gate = self._gate, None
        if gate is not None:
            gate.give_back(self)


class Admission:
    """WSGI middleware: Engine.IO handshakes take turns (see the module's docstring)."""

    def __init__(
        self,
        wsgi_app,
        size: int,
        path: str = "/socket.io",
        hold: float = HOLD_SECONDS,
        wait: float = WAIT_SECONDS,
    ):
        self.wsgi_app, self.size, self.path, self.hold, self.wait = wsgi_app, size, path, hold, wait
        self._turns = threading.BoundedSemaphore(size)
        self.taken = 0  # turns held now
        self._unclaimed: OrderedDict[Ticket, None] = OrderedDict()  # in order of admission
        self._sweeping = False
        self._emptied = threading.Event()  # set when no ticket is left unclaimed: the sweep ends
        self.dropped = 0  # handshakes whose client left while they waited
        self.refused = 0  # handshakes that waited `wait` seconds without a turn

    def __call__(self, environ, start_response):
        if not self._is_handshake(environ):
            return self.wsgi_app(environ, start_response)
        if not self._turns.acquire(timeout=self.wait):
            self.refused += 1
            return _unavailable(start_response)
        if _peer_gone(environ):
            self._turns.release()
            self.dropped += 1
            return _unavailable(start_response)  # nobody reads it; the write fails quietly
        self.taken += 1
        ticket = Ticket(self)
        environ[TICKET] = ticket
        self._unclaimed[ticket] = None
        if not self._sweeping:
            self._sweeping = True
            threading.Thread(target=self._sweep, daemon=True).start()
        try:
            return self.wsgi_app(environ, start_response)
        except BaseException:
            ticket.release()
            raise

    def _is_handshake(self, environ) -> bool:
        if environ.get("REQUEST_METHOD") != "GET" or not environ.get("PATH_INFO", "").startswith(self.path):
            return False
        query = environ.get("QUERY_STRING", "")
        return "sid=" not in query or "sid" not in parse_qs(query)

    def give_back(self, ticket: Ticket) -> None:
        """A ticket's turn back to the gate (``Ticket.release`` calls it once)."""
        self._unclaimed.pop(ticket, None)
        self.taken -= 1
        self._turns.release()
        if not self._unclaimed:
            self._emptied.set()

    def _sweep(self) -> None:
        """Give back the turns of tickets left unclaimed for ``hold`` seconds; runs while
        there are unclaimed tickets."""
        try:
            while self._unclaimed:
                ticket = next(iter(self._unclaimed))
                due = ticket.admitted + self.hold - time.monotonic()
                if due > 0:
                    # woken early when every ticket was given back, so that the green thread
                    # does not outlive the handshakes by up to `hold` seconds
                    self._emptied.clear()
                    self._emptied.wait(due)
                    continue
                if ticket.claimed:
                    self._unclaimed.pop(ticket, None)
                else:
                    ticket.release()
        finally:
            self._sweeping = False


def _peer_gone(environ) -> bool:
    """Whether the client closed its TCP connection (Linux's TCP_INFO state; False where
    the socket or the option is not available: the request is then served as usual)."""
    source = environ.get("eventlet.input")
    sock = source.get_socket() if source is not None and hasattr(source, "get_socket") else None
    if sock is None or not hasattr(socket, "TCP_INFO"):
        return False
    try:
        return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0] in _LINUX_TCP_CLOSED
    except (OSError, IndexError):
        return False


def _unavailable(start_response):
    return refuse(
        start_response,
        "503 Service Unavailable",
        "unavailable",
        "too many connections in progress; try again",
        [("Retry-After", "1")],
    )
