"""Processes and clients the fault tests drive: chat servers, a private Redis, a TCP proxy
in front of PostgreSQL, and a Socket.IO chat client that fails over like a browser would.

Everything runs on 127.0.0.1 and is stopped by the PID this module started.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg2
import redis
import requests
import socketio
import websocket

from tests.chatlib import InOrderClient

REPO = Path(__file__).resolve().parents[2]
PG_ADMIN_DSN = os.environ.get("CHAT_FAULTS_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
# the contract's scheme; a driver-qualified one (postgresql+psycopg2) can be tried through this
PG_SCHEME = os.environ.get("CHAT_FAULTS_PG_SCHEME", "postgresql")
SHARED_REDIS_HOST = "127.0.0.1"
SHARED_REDIS_PORT = 6379
SECRET_KEY = "faults-" + "k" * 48
PASSWORD = "correct horse battery"

# Measured figures, printed at the end of the run (see conftest.pytest_terminal_summary) so
# docs/fault-tolerance.md can quote what this machine actually did.
FIGURES: list[tuple[str, str]] = []


def record_figure(name: str, value: str) -> None:
    FIGURES.append((name, value))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


# --------------------------------------------------------------------------- PostgreSQL


def pg_connect(*args, **kwargs):
    """psycopg2.connect that waits (up to a minute) for a free slot: the shared server's
    connections are used by every suite at once."""
    deadline = time.monotonic() + 60
    while True:
        try:
            return psycopg2.connect(*args, connect_timeout=10, **kwargs)
        except psycopg2.OperationalError as exc:
            if "too many clients" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(1)


class Database:
    """A database of its own on the shared PostgreSQL, dropped afterwards."""

    def __init__(self) -> None:
        self.name = unique("faults_")
        self.host = "127.0.0.1"
        self.port = 5432

    def url(self, host: str | None = None, port: int | None = None) -> str:
        return f"{PG_SCHEME}://postgres@{host or self.host}:{port or self.port}/{self.name}"

    def _admin(self):
        conn = pg_connect(PG_ADMIN_DSN)
        conn.autocommit = True
        return conn

    def create(self) -> None:
        with contextlib.closing(self._admin()) as conn, conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        with contextlib.closing(self._admin()) as conn, conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def connect(self):
        return pg_connect(host=self.host, port=self.port, user="postgres", dbname=self.name)

    def query(self, sql: str, params: tuple = (), commit: bool = False) -> list[tuple]:
        with contextlib.closing(self.connect()) as conn, conn.cursor() as cur:
            cur.execute(sql, params)
            rows = cur.fetchall()
            if commit:
                conn.commit()
            return rows


def delete_redis_keys(prefix: str, host: str = SHARED_REDIS_HOST, port: int = SHARED_REDIS_PORT):
    """Removes what one run wrote to the shared Redis: only keys under its own prefix."""
    r = redis.Redis(host=host, port=port, socket_timeout=5)
    try:
        for key in r.scan_iter(match=f"{prefix}*", count=500):
            r.delete(key)
    finally:
        r.close()


# --------------------------------------------------------------------------- chat server


def base_env(db_url: str, redis_url: str, channel: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHAT_", "PYTEST_"))}
    env.update(
        DATABASE_URL=db_url,
        REDIS_URL=redis_url,
        SOCKETIO_CHANNEL=channel,
        SECRET_KEY=SECRET_KEY,
        AUTH_RATE_LIMIT="100000/minute",
        SEND_RATE_LIMIT="1000000/second",
        # a few connections per process: the shared PostgreSQL has 100 slots for everyone
        DB_POOL_SIZE="4",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def migrate(env: dict[str, str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "app", "migrate"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"migrate failed ({proc.returncode}): {proc.stderr[-2000:]}")


class ChatServer:
    """One `python -m app serve` process on a free port, started and stopped by its PID."""

    def __init__(self, env: dict[str, str], log_dir: Path, name: str) -> None:
        self.env = env
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"{name}.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> None:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=REPO,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} not ready within {timeout}s:\n{self.log_tail()}")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill9(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def terminate(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def stop(self, grace: float = 5) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.terminate()
        try:
            self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def log_tail(self, n: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def readyz(self) -> requests.Response:
        return requests.get(self.url + "/readyz", timeout=10)

    def rss_kib(self) -> int:
        status = Path(f"/proc/{self.pid}/status").read_text()
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")


# --------------------------------------------------------------------------- private Redis


class PrivateRedis:
    """A redis-server of the test's own (the shared one at :6379 is never restarted)."""

    def __init__(self, workdir: Path) -> None:
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 15) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
                "--logfile",
                str(self.dir / "redis.log"),
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        if not wait_until(self.ping, timeout, 0.05):
            self.stop()
            raise RuntimeError(f"private redis-server on port {self.port} did not answer")

    def ping(self) -> bool:
        r = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1, socket_connect_timeout=1)
        try:
            return bool(r.ping())
        except redis.RedisError:
            return False
        finally:
            r.close()

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        self.kill(signal.SIGTERM)


# --------------------------------------------------------------------------- TCP proxy


class TcpProxy:
    """A forwarder on 127.0.0.1 that the test can cut, standing in for a database that stops.

    `cut()` closes every open connection and the listening socket, so new connects are refused
    exactly as when PostgreSQL is down; `restore()` listens again on the same port.
    `freeze()` is a network partition instead: connections stay open and nothing passes in
    either direction (new ones are accepted and get no answer) until `thaw()`.
    """

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server: asyncio.base_events.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.accepted = 0
        self.thawed = asyncio.Event()
        self.thawed.set()

    def start(self) -> None:
        self.thread.start()
        self._run(self._listen())

    def _run(self, coro, timeout: float = 10):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def _listen(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                await self.thawed.wait()
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        await self.thawed.wait()
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.close()
            return
        self.writers.update((writer, up_writer))
        try:
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        finally:
            self.writers.discard(writer)
            self.writers.discard(up_writer)

    async def _cut(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        for w in list(self.writers):
            # abort, not close: the peer sees the connection reset, as when a database dies
            w.transport.abort()
        self.writers.clear()

    def cut(self) -> None:
        self._run(self._cut())

    def restore(self) -> None:
        self._run(self._listen())

    async def _set_frozen(self, frozen: bool) -> None:
        if frozen:
            self.thawed.clear()
        else:
            self.thawed.set()

    def freeze(self) -> None:
        self._run(self._set_frozen(True))

    def thaw(self) -> None:
        self._run(self._set_frozen(False))

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.thaw()
            self._run(self._cut())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


# --------------------------------------------------------------------------- HTTP API


class Api:
    def __init__(self, url: str) -> None:
        self.url = url
        self.http = requests.Session()

    def register(self, username: str, password: str = PASSWORD) -> dict:
        r = self.http.post(
            self.url + "/api/register",
            json={"username": username, "password": password},
            timeout=15,
        )
        assert r.status_code == 201, (r.status_code, r.text)
        return r.json()

    def login(self, username: str, password: str = PASSWORD) -> requests.Response:
        return self.http.post(
            self.url + "/api/login", json={"username": username, "password": password}, timeout=15
        )

    def create_room(self, token: str, name: str, private: bool = False) -> dict:
        r = self.http.post(
            self.url + "/api/rooms",
            json={"name": name, "private": private},
            headers={"Authorization": f"Bearer {token}"},
            timeout=15,
        )
        assert r.status_code == 201, (r.status_code, r.text)
        return r.json()["room"]

    def history(self, token: str, room: str) -> list[dict]:
        """Every message of a room, paged with `after` from the start."""
        out: list[dict] = []
        after = 0
        for _ in range(1000):
            r = self.http.get(
                f"{self.url}/api/rooms/{room}/messages",
                params={"after": after, "limit": 100},
                headers={"Authorization": f"Bearer {token}"},
                timeout=15,
            )
            assert r.status_code == 200, (r.status_code, r.text)
            body = r.json()
            out.extend(body["messages"])
            if not body["more"] or not body["messages"]:
                return out
            after = body["messages"][-1]["id"]
        raise AssertionError("history did not end after 1000 pages")


# --------------------------------------------------------------------------- Socket.IO client


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


def duplicates(ids: list[int]) -> list[int]:
    seen: set[int] = set()
    dup = []
    for i in ids:
        if i in seen:
            dup.append(i)
        seen.add(i)
    return dup


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))
    return s[k]


def json_dumps(obj) -> str:
    return json.dumps(obj, separators=(",", ":"))


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
