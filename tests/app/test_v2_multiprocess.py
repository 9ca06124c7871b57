"""Chat v2 across two `serve` processes sharing PostgreSQL and Redis: what one process
decides reaches the sockets on the other (skipped on the embedded default)."""

from __future__ import annotations

import uuid

import pytest

from tests.support.client import Api, SioClient, register
from tests.support.settings import BACKEND

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="several processes need PostgreSQL and Redis")


@pytest.fixture(scope="module")
def pair(stack):
    one, two = stack.server(), stack.server()
    yield one, two
    one.close()
    two.close()


@pytest.fixture
def clients():
    made = []

    def make(url, token):
        c = SioClient(url, token)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


def test_membership_changes_reach_the_users_sockets_on_the_other_process(pair, clients):
    one, two = pair
    (_, owner_token), (guest, guest_token) = register(one.url), register(one.url)
    name = f"mp2-{uuid.uuid4().hex[:10]}"
    assert Api(one.url, owner_token).post("/api/rooms", {"name": name, "private": True}).status_code == 201
    theirs = clients(two.url, guest_token)  # on the other process, in no room
    added = Api(one.url, owner_token).post(f"/api/rooms/{name}/members", {"username": guest["username"]})
    assert added.status_code == 204
    assert theirs.wait_for("member_added", lambda d: d["room"]["name"] == name)["user"] == guest["username"]
    assert theirs.call("join", {"room": name})["ok"]
    banned = Api(one.url, owner_token).post(f"/api/rooms/{name}/bans", {"username": guest["username"]})
    assert banned.status_code == 204
    theirs.wait_for("member_removed", lambda d: d == {"room": name, "user": guest["username"]})
    # evicted on its own process: the socket is out of the room
    ack = theirs.call("send", {"room": name, "body": "still in?"})
    assert ack["ok"] is False and ack["error"]["code"] == "forbidden"


def test_mentions_reactions_and_read_state_cross_processes(pair, clients):
    one, two = pair
    (alice, a_token), (bob, b_token) = register(one.url), register(two.url)
    name = f"mp2-{uuid.uuid4().hex[:10]}"
    assert Api(one.url, a_token).post("/api/rooms", {"name": name}).status_code == 201
    a = clients(one.url, a_token)
    b_one, b_two = clients(one.url, b_token), clients(two.url, b_token)
    assert a.call("join", {"room": name})["ok"] and b_two.call("join", {"room": name})["ok"]
    msg = a.call("send", {"room": name, "body": f"@{bob['username']} look"})["message"]
    assert b_one.wait_for("mention", lambda d: d["message"]["id"] == msg["id"])  # joined or not
    assert b_two.wait_for("mention", lambda d: d["message"]["id"] == msg["id"])
    assert b_two.call("react", {"id": msg["id"], "emoji": "👀", "on": True})["ok"]
    assert a.wait_for("reactions", lambda d: d["id"] == msg["id"])["reactions"][0]["users"] == [
        bob["username"]
    ]
    assert b_two.call("read", {"room": name, "id": msg["id"]})["last_read"] == msg["id"]
    assert b_one.wait_for("read", lambda d: d["room"] == name) == {"room": name, "last_read": msg["id"]}
    dm = Api(two.url, b_token).post("/api/dms", {"username": alice["username"]})
    assert dm.status_code == 201
    assert (
        a.wait_for("member_added", lambda d: d["room"]["name"] == dm.json()["room"]["name"])["room"][
            "dm_with"
        ]
        == bob["username"]
    )
