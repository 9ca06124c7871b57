"""Test harness shared by the suites: real databases, real server processes, real clients.

``CHAT_TEST_BACKEND=postgres`` (default) runs servers on a fresh PostgreSQL database and a
Redis key space of their own; ``sqlite`` runs the embedded default (SQLite file, no Redis).
Everything started here is stopped here, by PID.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import engineio
import requests
import socketio
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_BASE = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
BACKEND = os.environ.get("CHAT_TEST_BACKEND", "postgres")


def run_script(script: str, *args: str, timeout: float = 60) -> str:
    """Run Python code in a process of its own (one that patches for eventlet or gevent
    without touching the test process); its stdout, once it exited 0."""
    done = subprocess.run(
        [sys.executable, "-c", script, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def engine_for(url: str, **kw):
    """SQLAlchemy 2.1 maps postgresql:// to psycopg 3; the project uses psycopg2."""
    return create_engine(url.replace("postgresql://", "postgresql+psycopg2://", 1), **kw)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Database:
    """A database of its own for one test run: a fresh PostgreSQL database or a SQLite file."""

    def __init__(self, backend: str = BACKEND):
        self.backend = backend
        self.name = f"chat_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        self._tmp = None
        if backend == "postgres":
            admin = engine_for(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{self.name}"'))
            admin.dispose()
            self.url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + self.name
        else:
            self._tmp = tempfile.TemporaryDirectory(prefix="chat-test-")
            self.url = f"sqlite:///{self._tmp.name}/chat.db"
        self.engine = engine_for(self.url)

    def migrate(self, extra_env: dict | None = None) -> None:
        env = {**os.environ, "DATABASE_URL": self.url, **(extra_env or {})}
        subprocess.run(
            [PYTHON, "-m", "app", "migrate"], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120
        )

    def scalar(self, sql: str, **params):
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def rows(self, sql: str, **params):
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).all()

    def drop(self) -> None:
        self.engine.dispose()
        if self.backend == "postgres":
            admin = engine_for(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            admin.dispose()
        elif self._tmp:
            self._tmp.cleanup()


def redis_cleanup(channel: str, url: str = REDIS_BASE) -> None:
    """Remove the keys one run wrote (its channel prefix); never FLUSHDB a shared Redis."""
    import redis

    r = redis.Redis.from_url(url)
    keys = list(r.scan_iter(match=f"{channel}:*", count=1000))
    for i in range(0, len(keys), 500):
        r.delete(*keys[i : i + 500])
    r.close()


class Server:
    """One ``python -m app serve`` process."""

    def __init__(self, env: dict, port: int | None = None, name: str = "server", stdout=None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env
        self.name = name
        self.log = tempfile.NamedTemporaryFile(prefix=f"chat-{name}-", suffix=".log", delete=False)
        self.stdout = stdout
        self.proc: subprocess.Popen | None = None

    def start(self, wait: float = 30) -> Server:
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=self.stdout or subprocess.DEVNULL,
            stderr=self.log,
        )
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.logs()}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not become ready:\n{self.logs()}")

    def logs(self) -> str:
        return Path(self.log.name).read_text(errors="replace")[-5000:]

    def kill(self) -> None:
        """kill -9: no goodbye to anyone."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def close(self) -> None:
        self.stop()
        with contextlib.suppress(OSError):
            os.unlink(self.log.name)


class Stack:
    """A database, a Redis key space (on PostgreSQL runs) and any number of servers on them."""

    def __init__(self, backend: str = BACKEND, **env):
        self.backend = backend
        self.db = Database(backend)
        self.db.migrate()
        self.channel = f"chattest-{uuid.uuid4().hex[:10]}"
        self.env = {
            "DATABASE_URL": self.db.url,
            "SECRET_KEY": "test-secret-key-0123456789abcdef",
            "SOCKETIO_CHANNEL": self.channel,
            "AUTH_RATE_LIMIT": "100000/minute",
            # tests that are about the send limit start a server with the default one
            "SEND_RATE_LIMIT": "1000/second",
            "LOG_LEVEL": "INFO",
        }
        if backend == "postgres":
            self.env["REDIS_URL"] = REDIS_BASE
        self.env.update({k: str(v) for k, v in env.items()})
        self.servers: list[Server] = []

    @property
    def multiprocess(self) -> bool:
        return self.backend == "postgres"

    def server(self, stdout=None, **env) -> Server:
        srv = Server(
            {**self.env, **{k: str(v) for k, v in env.items()}}, name=f"s{len(self.servers)}", stdout=stdout
        )
        self.servers.append(srv)
        return srv.start()

    def close(self) -> None:
        for srv in self.servers:
            srv.close()
        if self.backend == "postgres":
            redis_cleanup(self.channel)
        self.db.drop()


class Api:
    """A thin HTTP client speaking the contract."""

    def __init__(self, base: str, token: str | None = None):
        self.base = base
        self.token = token
        self.http = requests.Session()

    def call(self, method: str, path: str, json=None, token=..., **kw) -> requests.Response:
        headers = kw.pop("headers", {})
        tok = self.token if token is ... else token
        if tok:
            headers["Authorization"] = f"Bearer {tok}"
        return self.http.request(method, self.base + path, json=json, headers=headers, timeout=15, **kw)

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self.call("POST", path, json=json, **kw)


def register(base: str, username: str | None = None, password: str = "correct horse") -> tuple[dict, str]:
    username = username or f"u{uuid.uuid4().hex[:10]}"
    r = requests.post(base + "/api/register", json={"username": username, "password": password}, timeout=15)
    assert r.status_code == 201, r.text
    return r.json()["user"], r.json()["token"]


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
            "message",
            "message_updated",
            "message_deleted",
            "presence",
            "typing",
            "member_added",
            "member_removed",
            "mention",
            "read",
            "reactions",
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
