import contextlib

import pytest

from tests.support.client import Api, SioClient, register
from tests.support.server import Stack


@pytest.fixture(scope="session")
def stack():
    s = Stack()
    yield s
    s.close()


@pytest.fixture(scope="session")
def server(stack):
    return stack.server()


@pytest.fixture(scope="session")
def base(server):
    return server.url


@pytest.fixture
def make_user(base):
    """Register a fresh user; returns (user, token)."""

    def make(username=None, password="correct horse"):
        return register(base, username, password)

    return make


@pytest.fixture
def alice(make_user):
    return make_user()


@pytest.fixture
def bob(make_user):
    return make_user()


@pytest.fixture
def api(base):
    return lambda token=None: Api(base, token)


@pytest.fixture
def make_client(base):
    clients = []

    def make(token, url=None):
        c = SioClient(url or base, token)
        clients.append(c)
        return c

    yield make
    for c in clients:
        with contextlib.suppress(Exception):
            c.close()


@pytest.fixture
def room_factory(base):
    import uuid

    def make(token, private=False, name=None):
        name = name or f"room-{uuid.uuid4().hex[:10]}"
        r = Api(base, token).post("/api/rooms", {"name": name, "private": private})
        assert r.status_code == 201, r.text
        return r.json()["room"]

    return make
