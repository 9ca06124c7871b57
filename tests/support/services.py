"""The services a server runs on, each of the test's own: a PostgreSQL database (or a SQLite
file), a Redis key space on the shared Redis or a private redis-server, and moto's S3 server.
Everything is created on 127.0.0.1 and removed afterwards; the shared Redis is never flushed
and the shared PostgreSQL only loses the databases made here."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import redis
from sqlalchemy import create_engine, text

from .ports import free_port, unique, wait_until
from .processes import migrate, stop_processes, wait_http
from .settings import AWS_ENV, BACKEND, PG_ADMIN_URL, PG_SCHEME, PYTHON, REDIS_URL, ROOT

# --------------------------------------------------------------------------- PostgreSQL


def engine_for(url: str, **kw):
    """SQLAlchemy 2.1 maps postgresql:// to psycopg 3; the project uses psycopg2."""
    return create_engine(url.replace("postgresql://", "postgresql+psycopg2://", 1), **kw)


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
    """A database of its own: a fresh one on the shared PostgreSQL, or a SQLite file.

    `url` is what a server gets as DATABASE_URL; `url_via(host, port)` the same database
    reached through something else listening (a proxy that can cut it)."""

    def __init__(self, backend: str = BACKEND, prefix: str = "chat_test_", name: str | None = None):
        self.backend = backend
        self.name = name or unique(prefix)
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._engine = None
        if backend == "postgres":
            self.dsn = self._pg_url("postgresql")
            self.url = self._pg_url(PG_SCHEME)
        else:
            self._tmp = tempfile.TemporaryDirectory(prefix="chat-test-")
            self.dsn = self.url = f"sqlite:///{self._tmp.name}/chat.db"

    def _pg_url(self, scheme: str, host: str | None = None, port: int | None = None) -> str:
        admin = urlsplit(PG_ADMIN_URL)
        netloc = admin.netloc
        if host is not None or port is not None:
            user = netloc.rpartition("@")[0]
            netloc = f"{user}@" if user else ""
            netloc += f"{host or admin.hostname}:{port or admin.port or 5432}"
        return urlunsplit((scheme, netloc, "/" + self.name, admin.query, ""))

    @property
    def host(self) -> str:
        return urlsplit(PG_ADMIN_URL).hostname or "127.0.0.1"

    @property
    def port(self) -> int:
        return urlsplit(PG_ADMIN_URL).port or 5432

    def url_via(self, host: str | None = None, port: int | None = None) -> str:
        return self._pg_url(PG_SCHEME, host, port)

    def _admin(self):
        conn = pg_connect(PG_ADMIN_URL)
        conn.autocommit = True
        return conn

    def create(self) -> Database:
        if self.backend == "postgres":
            with contextlib.closing(self._admin()) as conn, conn.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{self.name}"')
        return self

    def migrate(self, extra_env: dict | None = None) -> None:
        migrate({**os.environ, "DATABASE_URL": self.url, **(extra_env or {})})

    @property
    def engine(self):
        if self._engine is None:
            self._engine = engine_for(self.dsn)
        return self._engine

    def scalar(self, sql: str, **params):
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def rows(self, sql: str, **params):
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).all()

    def connect(self):
        """A psycopg2 connection of the test's own."""
        return pg_connect(self.dsn)

    def query(self, sql: str, params: tuple = (), commit: bool = False) -> list[tuple]:
        with contextlib.closing(self.connect()) as conn, conn.cursor() as cur:
            cur.execute(sql, params)
            rows = cur.fetchall()
            if commit:
                conn.commit()
            return rows

    def drop(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
        if self.backend == "postgres":
            with contextlib.closing(self._admin()) as conn, conn.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        elif self._tmp:
            self._tmp.cleanup()


@contextlib.contextmanager
def temp_database(prefix: str, backend: str = BACKEND) -> Iterator[Database]:
    db = Database(backend, prefix).create()
    try:
        yield db
    finally:
        db.drop()


# --------------------------------------------------------------------------- Redis


def delete_redis_keys(prefix: str, url: str = REDIS_URL) -> None:
    """Removes what one run wrote to the shared Redis: only keys under its own prefix."""
    r = redis.Redis.from_url(url, socket_timeout=5)
    try:
        keys = list(r.scan_iter(match=f"{prefix}*", count=1000))
        for i in range(0, len(keys), 500):
            r.delete(*keys[i : i + 500])
    finally:
        r.close()


@contextlib.contextmanager
def redis_channel(prefix: str) -> Iterator[str]:
    """A SOCKETIO_CHANNEL of its own: it also prefixes every key the service writes to Redis,
    so they are removed afterwards."""
    name = unique(prefix)
    try:
        yield name
    finally:
        with contextlib.suppress(Exception):
            delete_redis_keys(name)


class PrivateRedis:
    """A redis-server of the test's own (the shared one is never restarted)."""

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
        stop_processes([self.proc])


# --------------------------------------------------------------------------- S3 (moto)


class MotoS3:
    """moto's S3 server over real HTTP, with a media bucket (the browser may reach it by CORS
    once `allow_origin` named its origin)."""

    def __init__(self, log_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.bucket = unique("test-media-")
        self.log = log_dir / "moto.log"
        self.origins: list[str] = []
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [PYTHON, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                cwd=ROOT,
                env={**os.environ, **AWS_ENV},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_http(self.url + "/moto-api/", self.proc, 60, "moto_server", self.log)

    def client(self):
        import boto3  # only the suites with uploads pay for importing it

        return boto3.client(
            "s3",
            endpoint_url=self.url,
            aws_access_key_id=AWS_ENV["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=AWS_ENV["AWS_SECRET_ACCESS_KEY"],
            region_name=AWS_ENV["AWS_DEFAULT_REGION"],
        )

    def create_bucket(self) -> None:
        self.client().create_bucket(Bucket=self.bucket)

    def env(self) -> dict[str, str]:
        """What a server needs to keep its uploads here."""
        return {**AWS_ENV, "MEDIA_BUCKET": self.bucket, "AWS_ENDPOINT_URL_S3": self.url}

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
        stop_processes([self.proc])
