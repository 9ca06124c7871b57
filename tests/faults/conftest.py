"""Fixtures of the fault tests: each test gets its own database, Redis key prefix and server
processes, and everything it started is stopped by PID at teardown."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.measure import FIGURES
from tests.support.processes import migrate, stop_processes
from tests.support.pytest_hooks import pytest_runtest_makereport  # noqa: F401 - a hook of this suite
from tests.support.server import FEW_CONNECTIONS, ServerProcess, server_env
from tests.support.services import Database, PrivateRedis, redis_channel, temp_database
from tests.support.settings import REDIS_URL


@pytest.fixture
def database() -> Iterator[Database]:
    with temp_database("faults_") as db:
        yield db


@pytest.fixture
def channel() -> Iterator[str]:
    """SOCKETIO_CHANNEL of this test: it also prefixes every key the service writes to Redis."""
    with redis_channel("faults-") as name:
        yield name


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    r = PrivateRedis(tmp_path / "redis")
    r.start()
    try:
        yield r
    finally:
        r.kill()


@pytest.fixture
def server_factory(tmp_path: Path, request) -> Iterator[Callable[..., ServerProcess]]:
    """Starts chat servers on free ports; stops them all (by PID) when the test ends and
    prints their logs when it failed."""
    started: list[ServerProcess] = []

    def make(env: dict[str, str], name: str, start: bool = True) -> ServerProcess:
        server = ServerProcess(env, tmp_path / f"{name}.log", name)
        started.append(server)
        if start:
            server.start()
        return server

    yield make
    stop_processes([s.proc for s in started], grace=5)
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        for s in started:
            print(f"\n----- log of {s.name} (port {s.port}) -----\n{s.logs(4000)}")


@pytest.fixture
def pg_redis_env(database: Database, channel: str) -> dict[str, str]:
    """The environment of a server on this test's database and the shared Redis, migrated."""
    env = server_env(database.url, channel, REDIS_URL, **FEW_CONNECTIONS)
    migrate(env)
    return env


def pytest_terminal_summary(terminalreporter) -> None:
    if FIGURES:
        terminalreporter.section("fault tolerance: measured figures")
        for name, value in FIGURES:
            terminalreporter.write_line(f"{name}: {value}")
