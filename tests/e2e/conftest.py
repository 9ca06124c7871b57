"""Fixtures of the browser tests.

One stack per session: a database of its own, a Redis channel of its own, moto's S3 server,
two chat server processes and, per browser, a proxy that plays the load balancer. A test that
kills a process builds a cluster of its own on the same database, so the others are untouched.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.client import Api
from tests.support.ports import unique
from tests.support.processes import migrate, stop_processes
from tests.support.proxy import FailoverProxy
from tests.support.pytest_hooks import pytest_runtest_makereport  # noqa: F401 - a hook of this suite
from tests.support.server import ServerProcess, server_env
from tests.support.services import Database, MotoS3, redis_channel, temp_database
from tests.support.settings import CHROMIUM, REDIS_URL, ROOT

from .people import Person

WEB_DIST = ROOT / "app" / "web" / "dist"
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


class Cluster:
    """Chat server processes on one database and the proxies the browsers use to reach them."""

    def __init__(self, env: dict[str, str], log_dir: Path, moto: MotoS3, tag: str) -> None:
        self.env = env
        self.log_dir = log_dir
        self.moto = moto
        self.tag = tag
        self.servers: list[ServerProcess] = []
        self.proxies: list[FailoverProxy] = []

    def start_server(self, name: str) -> ServerProcess:
        return self.start_servers(name)[0]

    def start_servers(self, *names: str) -> list[ServerProcess]:
        """Starts the processes together (their start-up is mostly imports) and waits for all."""
        servers = [
            ServerProcess(self.env, self.log_dir / f"{self.tag}-{n}.log", f"{self.tag}-{n}") for n in names
        ]
        self.servers.extend(servers)
        for server in servers:
            server.launch()
        for server in servers:
            server.wait_ready()
        return servers

    def proxy(self, *servers: ServerProcess, block_websockets: bool = False) -> FailoverProxy:
        """A front door that sends new connections to the first of `servers` that accepts."""
        proxy = FailoverProxy([s.port for s in servers], block_websockets=block_websockets)
        proxy.start()
        self.proxies.append(proxy)
        self.moto.allow_origin(proxy.origin)
        return proxy

    def api(self) -> Api:
        return Api(self.servers[0].url)

    def logs(self) -> str:
        return "\n".join(f"----- {s.name} (port {s.port}) -----\n{s.logs(4000)}" for s in self.servers)


@pytest.fixture(scope="session")
def built_client() -> Path:
    """The built client Flask serves; built here when `make web` has not run."""
    index = WEB_DIST / "index.html"
    if not index.exists():
        proc = subprocess.run(
            ["bash", str(ROOT / "scripts" / "setup-web.sh")],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if proc.returncode != 0:
            pytest.fail(f"building the web client failed:\n{proc.stdout}\n{proc.stderr}")
    assert index.exists(), "app/web/dist/index.html is missing: run `make web`"
    return index


@pytest.fixture(scope="session")
def e2e_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="session")
def database() -> Iterator[Database]:
    with temp_database("e2e_") as db:
        yield db


@pytest.fixture(scope="session")
def channel() -> Iterator[str]:
    with redis_channel("e2e-") as name:
        yield name


@pytest.fixture(scope="session")
def moto(e2e_dir: Path) -> Iterator[MotoS3]:
    s3 = MotoS3(e2e_dir)
    s3.start()
    try:
        s3.create_bucket()
        yield s3
    finally:
        s3.stop()


@pytest.fixture(scope="session")
def env(database: Database, channel: str, moto: MotoS3, built_client: Path) -> dict[str, str]:
    environment = server_env(database.url, channel, REDIS_URL, **moto.env())
    migrate(environment)
    return environment


@pytest.fixture(scope="session")
def cluster_factory(env, e2e_dir: Path, moto: MotoS3) -> Iterator[Callable[[str], Cluster]]:
    made: list[Cluster] = []

    def make(tag: str, **overrides: str) -> Cluster:
        cluster = Cluster({**env, **overrides}, e2e_dir, moto, tag)
        made.append(cluster)
        return cluster

    yield make
    for cluster in made:
        for proxy in cluster.proxies:
            proxy.stop()
    stop_processes([s.proc for cluster in made for s in cluster.servers])


@pytest.fixture(scope="session")
def stack(cluster_factory) -> Cluster:
    """Two server processes; `front_a` prefers process A and `front_b` process B."""
    cluster = cluster_factory("shared")
    a, b = cluster.start_servers("a", "b")
    cluster.front_a = cluster.proxy(a, b)
    cluster.front_b = cluster.proxy(b, a)
    return cluster


@pytest.fixture(scope="session")
def browsers() -> Iterator[list]:
    """Two separate chromium processes: the people of a test take turns, so two people
    are always in two browsers, as the scenarios say."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = []
        try:
            for _ in range(2):
                launched.append(
                    pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                )
            yield launched
        finally:
            for chromium in launched:
                chromium.close()


@pytest.fixture
def people(browsers, request, e2e_dir: Path) -> Iterator[Callable[..., Person]]:
    """Opens a fresh browser context (its own storage) per person, alternating browsers."""
    made: list[Person] = []

    def make(origin: str, name: str | None = None, **context_args) -> Person:
        browser = browsers[len(made) % len(browsers)]
        person = Person(browser, origin, name or unique("u"), **context_args)
        made.append(person)
        return person

    yield make
    rep = getattr(request.node, "rep_call", None)
    failed = rep is not None and rep.failed
    for person in made:
        if failed:
            with contextlib.suppress(Exception):
                shot = e2e_dir / f"{request.node.name}-{person.name}.png"
                person.page.screenshot(path=str(shot), full_page=True)
                print(f"\nscreenshot of {person.name}: {shot}")
            print(f"\n----- browser console of {person.name} -----\n" + "\n".join(person.console))
        person.close()


@pytest.fixture(autouse=True)
def _server_logs_on_failure(request):
    yield
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed and "stack" in request.fixturenames:
        print("\n" + request.getfixturevalue("stack").logs())
