"""Clients of the contract: the HTTP API, python-socketio clients that record what the server
sends in wire order, one that fails over between servers like a browser, and a raw Socket.IO
client for what the library will not do."""

from __future__ import annotations

import contextlib
import json
import queue
import socket
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import engineio
import requests
import socketio
import websocket

PASSWORD = "correct horse battery"


def json_dumps(obj) -> str:
    return json.dumps(obj, separators=(",", ":"))


# --------------------------------------------------------------------------- HTTP API


class Api:
    """The HTTP contract: `call` for any request (with this client's token unless told
    otherwise), and the steps that set a scene faster than a person could type."""

    def __init__(self, url: str, token: str | None = None) -> None:
        self.url = url
        self.token = token
        self.http = requests.Session()

    def call(self, method: str, path: str, json=None, token=..., **kw) -> requests.Response:
        headers = kw.pop("headers", {})
        tok = self.token if token is ... else token
        if tok:
            headers["Authorization"] = f"Bearer {tok}"
        return self.http.request(method, self.url + path, json=json, headers=headers, timeout=15, **kw)

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self.call("POST", path, json=json, **kw)

    def register(self, username: str, password: str = PASSWORD) -> dict:
        """{"user": ..., "token": ...} of a new account."""
        r = self.call("POST", "/api/register", {"username": username, "password": password}, token=None)
        assert r.status_code == 201, (r.status_code, r.text)
        return r.json()

    def login(self, username: str, password: str = PASSWORD) -> requests.Response:
        return self.call("POST", "/api/login", {"username": username, "password": password}, token=None)

    def create_room(self, token: str, name: str, private: bool = False) -> dict:
        r = self.call("POST", "/api/rooms", {"name": name, "private": private}, token=token)
        assert r.status_code == 201, (r.status_code, r.text)
        return r.json()["room"]

    def history(self, token: str, room: str) -> list[dict]:
        """Every message of a room, oldest first, paged with `after` from the start."""
        out: list[dict] = []
        after = 0
        for _ in range(1000):
            r = self.call(
                "GET", f"/api/rooms/{room}/messages", params={"after": after, "limit": 100}, token=token
            )
            assert r.status_code == 200, (r.status_code, r.text)
            body = r.json()
            out.extend(body["messages"])
            if not body["more"] or not body["messages"]:
                return out
            after = body["messages"][-1]["id"]
        raise AssertionError("history did not end after 1000 pages")

    def send_many(self, token: str, room: str, bodies: list[str]) -> list[dict]:
        """Sends messages over Socket.IO as a second client would, waiting for each ack."""
        client = socketio.Client(reconnection=False)
        client.connect(self.url, auth={"token": token}, transports=["websocket"], wait_timeout=10)
        try:
            ack = client.call("join", {"room": room}, timeout=10)
            assert ack["ok"], ack
            sent = []
            for body in bodies:
                ack = client.call("send", {"room": room, "body": body}, timeout=10)
                assert ack["ok"], ack
                sent.append(ack["message"])
            return sent
        finally:
            client.disconnect()


def register(base: str, username: str | None = None, password: str = "correct horse") -> tuple[dict, str]:
    body = Api(base).register(username or f"u{uuid.uuid4().hex[:10]}", password)
    return body["user"], body["token"]


# --------------------------------------------------------------------------- Socket.IO clients


class _InOrderEngineIO(engineio.Client):
    """python-engineio's client runs each incoming message's handler in a thread of its own,
    so handlers can record messages in another order than they came off the wire. Tests of
    the server's delivery order need the wire order: handlers run in the read loop here."""

    def _trigger_event(self, event, *args, **kwargs):
        kwargs["run_async"] = False
        return super()._trigger_event(event, *args, **kwargs)


class InOrderClient(socketio.Client):
    """socketio.Client whose event handlers see events in the order they arrived."""

    def _engineio_client_class(self):
        return _InOrderEngineIO


class SioClient:
    """python-socketio's client over WebSocket, recording every server event in order."""

    def __init__(self, base: str, token: str | None, *, connect: bool = True):
        self.base = base
        self.token = token
        self.events: queue.Queue = queue.Queue()
        self.history: list[tuple[str, object]] = []
        self.sio = InOrderClient(reconnection=False)
        self.disconnected = threading.Event()
        for name in (
            *("message", "message_updated", "message_deleted", "presence", "typing"),
            *("member_added", "member_removed", "mention", "read", "reactions"),
        ):
            self.sio.on(name, self._recorder(name))
        self.sio.on("disconnect", lambda *a: self.disconnected.set())
        if connect:
            self.connect()

    def _recorder(self, name):
        def record(data):
            self.history.append((name, data))
            self.events.put((name, data))

        return record

    def connect(self, base: str | None = None) -> None:
        self.disconnected.clear()
        self.sio.connect(
            base or self.base, auth={"token": self.token}, transports=["websocket"], wait_timeout=10
        )

    def call(self, event: str, payload=None, timeout: float = 15):
        if payload is None:
            return self.sio.call(event, timeout=timeout)
        return self.sio.call(event, payload, timeout=timeout)

    def wait_for(self, name: str, pred=lambda d: True, timeout: float = 10):
        """The next event called name (matching pred); other events stay in history."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {name!r} event within {timeout}s; saw {self.history[-10:]}")
            try:
                ev, data = self.events.get(timeout=left)
            except queue.Empty:
                continue
            if ev == name and pred(data):
                return data

    def received(self, name: str) -> list:
        return [d for ev, d in self.history if ev == name]

    def drain(self, quiet: float = 0.3) -> None:
        time.sleep(quiet)
        while not self.events.empty():
            self.events.get_nowait()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.sio.disconnect()


class ChatClient:
    """A chat user's socket that records every message it is shown, from `join` history and
    from live `message` events, and fails over to another server when its own dies."""

    def __init__(self, username: str, token: str, room: str, urls: list[str]) -> None:
        self.username = username
        self.token = token
        self.room = room
        self.urls = urls
        self.url_index = 0
        self.lock = threading.Lock()
        self.live: list[int] = []  # ids from `message` events, in arrival order
        self.history: list[int] = []  # ids from join acks, in arrival order
        self.stream: list[int] = []  # both, in the order the user would see them
        self.arrivals: dict[int, float] = {}  # id -> first arrival time (monotonic)
        self.bodies: dict[int, str] = {}
        self.reconnects = 0
        self.relogins = 0
        self.rejoin_since: list[int | None] = []  # the `since` of each re-join, for diagnosis
        self.rejoined_at: float | None = None  # monotonic time of the last successful re-join
        self.sio: socketio.Client | None = None
        self.refresh_token: Callable[[], str] | None = None

    @property
    def url(self) -> str:
        return self.urls[self.url_index]

    @property
    def last_seen(self) -> int | None:
        with self.lock:
            return max(self.stream) if self.stream else None

    @property
    def connected(self) -> bool:
        return self.sio is not None and self.sio.connected

    def _on_message(self, msg: dict) -> None:
        if not isinstance(msg, dict) or msg.get("room") != self.room:
            return
        now = time.monotonic()
        with self.lock:
            self.live.append(msg["id"])
            self.stream.append(msg["id"])
            self.arrivals.setdefault(msg["id"], now)
            self.bodies[msg["id"]] = msg["body"]

    def connect(self, timeout: float = 10) -> None:
        # handlers in wire order: the server's delivery order is what these tests check
        sio = InOrderClient(reconnection=False, handle_sigint=False)
        sio.on("message", self._on_message)
        refusals: list = []
        sio.on("connect_error", refusals.append)
        try:
            sio.connect(
                self.url,
                auth={"token": self.token},
                transports=["websocket"],
                wait_timeout=timeout,
            )
        except socketio.exceptions.ConnectionError as exc:
            # the library's message does not say why; the connect_error data does
            raise socketio.exceptions.ConnectionError(f"{exc} {refusals!r}") from exc
        self.sio = sio

    def close(self) -> None:
        if self.sio is not None:
            with contextlib.suppress(Exception):
                self.sio.disconnect()
            with contextlib.suppress(Exception):
                self.sio.shutdown()

    def call(self, event: str, data, timeout: float = 10, on_ack_hook=None):
        """emit with an ack, like socketio.Client.call, but giving up as soon as the
        connection drops (the library's call waits out its whole timeout), as a browser
        client does. `on_ack_hook(ack)` runs where the ack is read, before any event that
        came after it on the wire is handled."""
        assert self.sio is not None
        sio = self.sio
        done = threading.Event()
        box: list[tuple] = []

        def on_ack(*args) -> None:
            if on_ack_hook is not None:
                on_ack_hook(args[0] if len(args) == 1 else None)
            box.append(args)
            done.set()

        sio.emit(event, data, callback=on_ack)
        deadline = time.monotonic() + timeout
        while not done.wait(0.02):
            if not sio.connected:
                raise socketio.exceptions.DisconnectedError("disconnected while waiting for the ack")
            if time.monotonic() > deadline:
                raise socketio.exceptions.TimeoutError()
        args = box[0]
        return args[0] if len(args) == 1 else (args or None)

    def join(self, since: int | None = None, timeout: float = 10) -> dict:
        payload: dict = {"room": self.room}
        if since is not None:
            payload["since"] = since

        def record_history(ack) -> None:
            # in wire order: the history comes before any live message sent after the ack
            if isinstance(ack, dict) and ack.get("ok"):
                now = time.monotonic()
                with self.lock:
                    for m in ack["messages"]:
                        self.history.append(m["id"])
                        self.stream.append(m["id"])
                        self.arrivals.setdefault(m["id"], now)
                        self.bodies[m["id"]] = m["body"]

        ack = self.call("join", payload, timeout=timeout, on_ack_hook=record_history)
        return ack

    def rejoin_until_complete(self, since: int | None, timeout: float = 10) -> None:
        """join with `since`, then page on (again with `since`) while the ack says `more`."""
        deadline = time.monotonic() + timeout
        ack = self.join(since=since, timeout=timeout)
        assert ack.get("ok"), ack
        while ack.get("more") and time.monotonic() < deadline:
            ack = self.join(since=self.last_seen, timeout=timeout)
            assert ack.get("ok"), ack

    def reconnect(self, deadline: float, failover: bool = True) -> float:
        """Connects again (to the next server when `failover`) and re-joins with `since`.

        Returns the seconds it took. Retries until `deadline` (monotonic)."""
        started = time.monotonic()
        self.close()
        last_error: Exception | None = None
        attempt = 0
        while time.monotonic() < deadline:
            if failover and len(self.urls) > 1:
                self.url_index = (self.url_index + 1) % len(self.urls)
            try:
                self.connect(timeout=5)
                self.rejoin_since.append(self.last_seen)
                self.rejoin_until_complete(self.last_seen, timeout=10)
                self.reconnects += 1
                self.rejoined_at = time.monotonic()
                return time.monotonic() - started
            except (socketio.exceptions.SocketIOError, AssertionError, OSError) as exc:
                last_error = exc
                self.close()
                if self.refresh_token is not None and "unauthorized" in repr(exc).lower():
                    with contextlib.suppress(Exception):
                        self.token = self.refresh_token()
                        self.relogins += 1
                attempt += 1
                time.sleep(min(0.1 * attempt, 0.5))
        raise AssertionError(f"{self.username} could not reconnect: {last_error!r}")


# --------------------------------------------------------------------------- raw clients


class RawSocketIO:
    """A Socket.IO client written against the wire protocol (Engine.IO 4 over WebSocket), for
    what the library client will not do: stop reading, or send frames of any size."""

    def __init__(self, url: str, rcvbuf: int | None = None, timeout: float = 10) -> None:
        ws_url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        opts = []
        if rcvbuf is not None:
            # set before connect, so the advertised window stays small
            opts.append((socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf))
        self.ws = websocket.create_connection(ws_url, timeout=timeout, sockopt=tuple(opts))
        opened = self.ws.recv()
        assert isinstance(opened, str) and opened.startswith("0"), opened
        self.local_port = self.ws.sock.getsockname()[1]
        self.next_ack = 0

    def recv_packet(self) -> str:
        """The next Socket.IO packet; answers the server's pings on the way."""
        while True:
            pkt = self.ws.recv()
            if pkt == "2":
                self.ws.send("3")
                continue
            return pkt

    def connect_namespace(self, auth: dict | None) -> str:
        self.ws.send("40" + (json_dumps(auth) if auth is not None else ""))
        while True:
            pkt = self.recv_packet()
            if pkt.startswith(("40", "44")):
                return pkt

    def send_event(self, event: str, data) -> int:
        self.next_ack += 1
        self.ws.send(f"42{self.next_ack}" + json_dumps([event, data]))
        return self.next_ack

    def call(self, event: str, data):
        ack_id = self.send_event(event, data)
        prefix = f"43{ack_id}"
        while True:
            pkt = self.recv_packet()
            if pkt.startswith(prefix):
                return json.loads(pkt[len(prefix) :])[0]

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ws.close(timeout=1)
        with contextlib.suppress(Exception):
            self.ws.shutdown()


def tcp_queues(local_port: int, remote_port: int) -> tuple[int, int] | None:
    """(tx_queue, rx_queue) in bytes of the loopback TCP socket local_port -> remote_port,
    read from /proc/net/tcp; None when there is no such socket."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        parts = line.split()
        local, remote, queues = parts[1], parts[2], parts[4]
        if int(local.split(":")[1], 16) == local_port and int(remote.split(":")[1], 16) == remote_port:
            tx, rx = queues.split(":")
            return int(tx, 16), int(rx, 16)
    return None


def refused(ack: dict, code: str) -> None:
    """An ack in the contract's error envelope, with that code and a message."""
    assert ack["ok"] is False, ack
    assert ack["error"]["code"] == code, ack
    assert ack["error"]["message"]
