"""Per-user limits on the events and endpoints that cost others something (chat/limits.py):
a flood of each gets `rate_limited` with the seconds to wait, and no more work is done than
the limit allows. These run a server with the production defaults (the shared test servers
lift every limit)."""

from __future__ import annotations

import contextlib
import time

import pytest

from tests.support.client import Api, SioClient, register
from tests.support.ports import unique


@pytest.fixture(scope="module")
def limited(stack):
    """Production defaults for every event limit (the harness lifts them for other tests)."""
    defaults = {
        f"{p}_RATE_LIMIT": "" for p in ("TYPING", "JOIN", "DELETE", "ROOM_CREATE", "MEMBERSHIP", "UPLOAD")
    }
    srv = stack.server(**defaults)
    yield srv
    srv.close()


def flood(client: SioClient, event: str, payloads: list) -> list[dict]:
    acks: list[dict] = []
    for payload in payloads:  # back to back, without waiting for acks, as a flooding client would
        client.sio.emit(event, payload, callback=acks.append)
    deadline = time.monotonic() + 20
    while len(acks) < len(payloads) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(acks) == len(payloads)
    return acks


def refused(acks: list[dict]) -> list[dict]:
    out = [a for a in acks if not a["ok"]]
    odd = [a for a in out if a["error"]["code"] != "rate_limited" or not a["error"]["retry_after"] > 0]
    assert not odd, odd[:3]
    return out


def test_typing_notices_are_limited_per_user(limited):
    _, token = register(limited.url)
    room = Api(limited.url, token).create_room(token, unique("t"))
    with contextlib.closing(SioClient(limited.url, token)) as c:
        assert c.call("join", {"room": room["name"]})["ok"]
        acks = flood(c, "typing", [{"room": room["name"]}] * 100)
    assert 10 <= len([a for a in acks if a["ok"]]) <= 15  # the burst of 10, and what refills meanwhile
    assert len(refused(acks)) >= 85


def test_a_reconnect_may_rejoin_many_rooms_but_a_join_flood_is_stopped(limited):
    _, token = register(limited.url)
    api = Api(limited.url, token)
    room = api.create_room(token, unique("j"))
    with contextlib.closing(SioClient(limited.url, token)) as c:
        acks = flood(c, "join", [{"room": room["name"]}] * 400)
    ok = [a for a in acks if a["ok"]]
    assert 300 <= len(ok) <= 320  # a reconnect re-joining 300 rooms passes; the rest waits
    assert refused(acks)


def test_room_creation_and_upload_grants_are_limited_with_retry_after(limited):
    _, token = register(limited.url)
    api = Api(limited.url, token)
    answers = [api.post("/api/rooms", {"name": unique("c")}) for _ in range(14)]
    codes = [r.status_code for r in answers]
    assert codes[:10] == [201] * 10 and set(codes[10:]) == {429}, codes
    assert int(answers[-1].headers["Retry-After"]) >= 1
    assert answers[-1].json()["error"]["code"] == "rate_limited"
    grants = [
        api.post("/api/uploads", {"room": "x", "filename": "a.png", "content_type": "image/png", "size": 10})
        for _ in range(14)
    ]
    assert {g.status_code for g in grants[10:]} == {429}, [g.status_code for g in grants]


def test_membership_changes_are_limited(limited):
    _, token = register(limited.url)
    api = Api(limited.url, token)
    room = api.create_room(token, unique("m"), private=True)
    answers = [api.post(f"/api/rooms/{room['name']}/members", {"username": "nobody-here"}) for _ in range(40)]
    codes = [r.status_code for r in answers]
    assert codes[:30] == [404] * 30 and 429 in codes[30:], codes
