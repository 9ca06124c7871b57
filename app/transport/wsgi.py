"""The HTTP server under Flask and Socket.IO: listening socket, eventlet or gevent WSGI
server, and the WSGI middleware the transports need."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
from urllib.parse import parse_qs, urlparse

MAX_CONNECTIONS = 20000  # greenlets one process serves at once (eventlet's default is 1024)


class NoWebSocketCompression:
    """Drop the client's permessage-deflate offer: per delivery it costs 2.5-3x the CPU for
    chat-sized frames (see docs/operations.md)."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
        return self.wsgi_app(environ, start_response)


class ChunkedBodies:
    """Let Flask read a request body sent with ``Transfer-Encoding: chunked``. eventlet and
    gevent take the chunks apart themselves, but do not say so in the environment, and
    Werkzeug, not knowing where such a body ends, reads it as empty (a JSON request answered
    "the body must be a JSON object"). MAX_CONTENT_LENGTH still applies as it is read."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower() and not environ.get(
            "CONTENT_LENGTH"
        ):
            environ["wsgi.input_terminated"] = True
        return self.wsgi_app(environ, start_response)


def refuse(start_response, status: str, code: str, message: str, headers=()) -> list[bytes]:
    """Answer a request with the contract's error envelope, and close the connection."""
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    start_response(
        status,
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            *headers,
            ("Connection", "close"),
        ],
    )
    return [body]


class OversizePolls:
    """A long-polling POST over the frame limit is answered 413 at once and its session
    ended in the background. Left to python-engineio, the refusal waits for the session's
    close packet to be fetched, which the client does only after this POST is answered:
    both sides wait for good, and so does a shutdown."""

    def __init__(self, wsgi_app, eio, limit: int, path: str = "/socket.io"):
        self.wsgi_app, self.eio, self.limit, self.path = wsgi_app, eio, limit, path

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "POST" and environ.get("PATH_INFO", "").startswith(self.path):
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > self.limit:
                sid = parse_qs(environ.get("QUERY_STRING", "")).get("sid", [""])[0]
                if sid:
                    self.eio.start_background_task(self.eio.disconnect, sid)
                return refuse(
                    start_response,
                    "413 Content Too Large",
                    "too_large",
                    "the frame is larger than the server accepts",
                )
        return self.wsgi_app(environ, start_response)


def origin_checker(allowed: tuple[str, ...]):
    """An origin listed in CORS_ORIGINS, or the same origin: the Host the connection was made
    to. X-Forwarded-Host is never read: a client sets it to anything (behind CloudFront the
    site's origin is configured in CORS_ORIGINS instead)."""
    allowed_set = set(allowed)

    def check(origin, environ):
        if origin is None or origin in allowed_set:
            return True
        host = environ.get("HTTP_HOST", "")
        return bool(host) and urlparse(origin).netloc == host

    return check


def listen(async_mode: str, host: str, port: int):
    """Bind before anything else starts, without SO_REUSEPORT: a port in use is an error,
    not a silent second listener."""
    if async_mode == "eventlet":
        import eventlet

        return eventlet.listen((host, port), backlog=1024, reuse_port=False)
    from gevent import socket as gsocket

    sock = gsocket.socket(gsocket.AF_INET6 if ":" in host else gsocket.AF_INET)
    sock.setsockopt(gsocket.SOL_SOCKET, gsocket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    return sock


def _lean_http_protocol():
    """eventlet's HTTP protocol with small buffers and TCP_NODELAY.

    A WebSocket keeps the buffers of the HTTP connection it was upgraded from for its whole
    life; eventlet's 8 KiB read + 16 KiB write buffers were 24 KiB of every idle socket's
    ~55 KiB. 2 KiB each serve the HTTP API as well: larger writes bypass the buffer.
    TCP_NODELAY: a chat frame or response goes out at once instead of waiting (Nagle) for
    the acknowledgement of the one before it.
    """
    import eventlet.wsgi

    class LeanHttpProtocol(eventlet.wsgi.HttpProtocol):
        rbufsize = 2048
        wbufsize = 2048

        def setup(self):
            with contextlib.suppress(OSError, AttributeError):
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            super().setup()

    return LeanHttpProtocol


def run(async_mode: str, wsgi_app, listener) -> None:
    """Serve until the process is told to stop."""
    if async_mode == "eventlet":
        import eventlet.wsgi

        eventlet.wsgi.server(
            listener,
            wsgi_app,
            log_output=False,
            max_size=MAX_CONNECTIONS,
            debug=False,
            keepalive=True,
            protocol=_lean_http_protocol(),
        )
    else:
        from gevent import pywsgi

        pywsgi.WSGIServer(
            listener, wsgi_app, log=None, error_log=logging.getLogger("chat.wsgi")
        ).serve_forever()
