"""What the browser tests run against: two or more `python -m app serve` processes sharing a
PostgreSQL database and Redis, moto's S3 server for uploads, and one TCP proxy per browser that
plays the load balancer (it forwards to the first server that accepts, so when a process dies
the browser's next connection lands on another one).

Everything listens on 127.0.0.1 on a free port and is stopped by the PID this module started.
"""

from __future__ import annotations

import asyncio
import contextlib
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

import boto3
import psycopg2
import redis
import requests
import socketio

REPO = Path(__file__).resolve().parents[2]
WEB_DIST = REPO / "app" / "web" / "dist"
CHROMIUM = os.environ.get("CHAT_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PG_ADMIN_DSN = os.environ.get("CHAT_E2E_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("CHAT_E2E_REDIS_URL", "redis://127.0.0.1:6379/0")
SECRET_KEY = "e2e-" + "s" * 60
PASSWORD = "correct horse battery"
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def _wait_http(url: str, proc: subprocess.Popen, timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}:\n{tail(log)}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{what} was not ready within {timeout}s:\n{tail(log)}")


def tail(path: Path, n: int = 4000) -> str:
    try:
        return path.read_text(errors="replace")[-n:]
    except OSError:
        return "(no log)"


def stop_process(proc: subprocess.Popen | None) -> None:
    stop_processes([proc])


def stop_processes(procs: list[subprocess.Popen | None]) -> None:
    """SIGTERM to all first, then wait: the graceful shutdowns overlap instead of adding up."""
    running = [p for p in procs if p is not None and p.poll() is None]
    for proc in running:
        proc.send_signal(signal.SIGTERM)
    for proc in running:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


# --------------------------------------------------------------------------- PostgreSQL, Redis


class Database:
    """A database of its own on the shared PostgreSQL, dropped afterwards."""

    def __init__(self) -> None:
        self.name = unique("e2e_")
        self.url = f"postgresql://postgres@127.0.0.1:5432/{self.name}"

    def _admin(self):
        conn = psycopg2.connect(PG_ADMIN_DSN, connect_timeout=10)
        conn.autocommit = True
        return conn

    def create(self) -> None:
        with contextlib.closing(self._admin()) as conn, conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        with contextlib.closing(self._admin()) as conn, conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def delete_redis_keys(prefix: str) -> None:
    """Removes only the keys this run wrote to the shared Redis (its channel prefixes them)."""
    r = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    try:
        for key in r.scan_iter(match=f"{prefix}*", count=500):
            r.delete(key)
    finally:
        r.close()


# --------------------------------------------------------------------------- S3 (moto)


class MotoS3:
    """moto's S3 server over real HTTP, with a media bucket the browser may reach by CORS."""

    def __init__(self, log_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.bucket = unique("e2e-media-")
        self.log = log_dir / "moto.log"
        self.origins: list[str] = []
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                cwd=REPO,
                env={**os.environ, **AWS_ENV},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _wait_http(self.url + "/moto-api/", self.proc, 60, "moto_server", self.log)

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            aws_access_key_id=AWS_ENV["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=AWS_ENV["AWS_SECRET_ACCESS_KEY"],
            region_name=AWS_ENV["AWS_DEFAULT_REGION"],
        )

    def create_bucket(self) -> None:
        self.client().create_bucket(Bucket=self.bucket)

    def allow_origin(self, origin: str) -> None:
        """The browser posts files to S3 and reads them back from S3 directly, so the bucket
        must allow each origin the chat is served from (on AWS: the site's domain)."""
        self.origins.append(origin)
        self.client().put_bucket_cors(
            Bucket=self.bucket,
            CORSConfiguration={
                "CORSRules": [
                    {
                        "AllowedOrigins": list(self.origins),
                        "AllowedMethods": ["GET", "HEAD", "POST"],
                        "AllowedHeaders": ["*"],
                        "ExposeHeaders": ["ETag"],
                        "MaxAgeSeconds": 300,
                    }
                ]
            },
        )

    def stop(self) -> None:
        stop_process(self.proc)


# --------------------------------------------------------------------------- chat servers


def server_env(db_url: str, channel: str, moto: MotoS3 | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHAT_", "PYTEST_"))}
    env.update(
        DATABASE_URL=db_url,
        REDIS_URL=REDIS_URL,
        SOCKETIO_CHANNEL=channel,
        SECRET_KEY=SECRET_KEY,
        AUTH_RATE_LIMIT="100000/minute",
        SEND_RATE_LIMIT="1000000/second",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    if moto is not None:
        env.update(AWS_ENV, MEDIA_BUCKET=moto.bucket, AWS_ENDPOINT_URL_S3=moto.url)
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
    """One `python -m app serve` process on a free port."""

    def __init__(self, env: dict[str, str], log_dir: Path, name: str) -> None:
        self.env = env
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log_dir / f"{name}.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> None:
        self.launch()
        self.wait_ready(timeout)

    def launch(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "app",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 60) -> None:
        assert self.proc is not None
        try:
            _wait_http(self.url + "/readyz", self.proc, timeout, self.name, self.log)
        except RuntimeError:
            self.stop()
            raise

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill9(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        stop_process(self.proc)


# --------------------------------------------------------------------------- load balancer


class FailoverProxy:
    """A TCP proxy that stands in for the load balancer in front of the servers.

    Each new connection goes to the first backend that accepts it, so a browser keeps one
    origin while the process behind it changes. `hold()` makes new connections wait (as when
    no healthy target is left) and `freeze()` stops bytes flowing on open ones; both let a
    test create the "meanwhile" it needs without racing the client's reconnect.
    """

    def __init__(self, backends: list[int], block_websockets: bool = False) -> None:
        self.backends = list(backends)
        # Like some corporate proxies: WebSocket upgrades are refused, plain HTTP goes through.
        self.block_websockets = block_websockets
        self.refused_upgrades = 0
        self.port = 0
        self.connections = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.base_events.Server | None = None
        self._open: asyncio.Event | None = None
        self._flowing: asyncio.Event | None = None

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _call(self, coro, timeout: float = 10):
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def start(self) -> None:
        self._thread.start()
        self._call(self._listen())

    async def _listen(self) -> None:
        self._open = asyncio.Event()
        self._open.set()
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                await self._flowing.wait()
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await self._open.wait()
        first = b""
        if self.block_websockets:
            first = await reader.read(65536)
            if b"upgrade: websocket" in first.lower():
                self.refused_upgrades += 1
                writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                with contextlib.suppress(ConnectionError, OSError):
                    await writer.drain()
                writer.close()
                return
        upstream = None
        for port in list(self.backends):
            try:
                upstream = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout=2)
                break
            except (OSError, TimeoutError):
                continue
        if upstream is None:
            writer.close()
            return
        self.connections += 1
        up_reader, up_writer = upstream
        if first:
            up_writer.write(first)
        self._writers.update((writer, up_writer))
        try:
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        finally:
            self._writers.discard(writer)
            self._writers.discard(up_writer)

    def hold(self) -> None:
        self._loop.call_soon_threadsafe(self._open.clear)

    def release(self) -> None:
        self._loop.call_soon_threadsafe(self._open.set)

    def freeze(self) -> None:
        self._loop.call_soon_threadsafe(self._flowing.clear)

    def thaw(self) -> None:
        self._loop.call_soon_threadsafe(self._flowing.set)

    async def _close(self) -> None:
        self._open.set()
        self._flowing.set()
        if self._server is not None:
            self._server.close()
        for w in list(self._writers):
            with contextlib.suppress(Exception):
                w.close()

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._call(self._close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)


# --------------------------------------------------------------------------- API helpers


class Api:
    """The HTTP and Socket.IO contract, for setting a scene faster than a person could type."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = requests.Session()

    def register(self, username: str) -> str:
        r = self.http.post(
            self.url + "/api/register",
            json={"username": username, "password": PASSWORD},
            timeout=10,
        )
        assert r.status_code == 201, r.text
        return r.json()["token"]

    def create_room(self, token: str, name: str, private: bool = False) -> None:
        r = self.http.post(
            self.url + "/api/rooms",
            json={"name": name, "private": private},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert r.status_code == 201, r.text

    def history(self, token: str, room: str) -> list[dict]:
        """Every message of a room, oldest first, paging with `after`."""
        out: list[dict] = []
        after = 0
        while True:
            r = self.http.get(
                f"{self.url}/api/rooms/{room}/messages",
                params={"after": after, "limit": 100},
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            )
            assert r.status_code == 200, r.text
            page = r.json()
            out.extend(page["messages"])
            if not page["more"] or not page["messages"]:
                return out
            after = page["messages"][-1]["id"]

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
