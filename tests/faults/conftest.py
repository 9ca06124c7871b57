"""Fixtures of the fault tests: each test gets its own database, Redis key prefix and server
processes, and everything it started is stopped by PID at teardown."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .support import (
    FIGURES,
    ChatServer,
    Database,
    PrivateRedis,
    base_env,
    delete_redis_keys,
    migrate,
    unique,
)


@pytest.fixture
def database() -> Iterator[Database]:
    db = Database()
    db.create()
    try:
        yield db
    finally:
        db.drop()


@pytest.fixture
def channel() -> Iterator[str]:
    """SOCKETIO_CHANNEL of this test: it also prefixes every key the service writes to Redis."""
    name = unique("faults-")
    try:
        yield name
    finally:
        with contextlib.suppress(Exception):
            delete_redis_keys(name)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    r = PrivateRedis(tmp_path / "redis")
    r.start()
    try:
        yield r
    finally:
        r.kill()


@pytest.fixture
def server_factory(tmp_path: Path, request) -> Iterator[Callable[..., ChatServer]]:
    """Starts chat servers on free ports; stops them all (by PID) when the test ends and
    prints their logs when it failed."""
    started: list[ChatServer] = []

    def make(env: dict[str, str], name: str, start: bool = True) -> ChatServer:
        server = ChatServer(env, tmp_path, name)
        started.append(server)
        if start:
            server.start()
        return server

    yield make
    for s in started:  # all at once: each may take seconds to drain
        s.terminate()
    for s in started:
        s.stop()
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        for s in started:
            print(f"\n----- log of {s.name} (port {s.port}) -----\n{s.log_tail()}")


@pytest.fixture
def pg_redis_env(database: Database, channel: str) -> dict[str, str]:
    """The environment of a server on this test's database and the shared Redis, migrated."""
    env = base_env(database.url(), "redis://127.0.0.1:6379/0", channel)
    migrate(env)
    return env


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    rep = yield
    if rep.when == "call":
        item.rep_call = rep
    return rep


def pytest_terminal_summary(terminalreporter) -> None:
    if FIGURES:
        terminalreporter.section("fault tolerance: measured figures")
        for name, value in FIGURES:
            terminalreporter.write_line(f"{name}: {value}")
