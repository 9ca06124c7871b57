"""A database filled by v1 (revision 0002) upgrades to v2 in place: nothing is lost, members
have read what was there, old messages are searchable, and the service serves it."""

from __future__ import annotations

from datetime import datetime

import requests
from argon2 import PasswordHasher
from sqlalchemy import text

from app.storage import migrate
from tests.support.client import Api, SioClient
from tests.support.server import ServerProcess, server_env
from tests.support.services import Database

NOW = datetime(2026, 11, 30, 12, 0, 0)


def fill_v1(db: Database) -> None:
    with db.engine.begin() as conn:
        for uid, name in ((1, "Alice"), (2, "bob")):
            conn.execute(
                text(
                    "INSERT INTO users (id, username, username_key, password_hash, created_at) "
                    "VALUES (:i, :n, :k, :h, :t)"
                ),
                {"i": uid, "n": name, "k": name.lower(), "h": PASSWORD_HASH, "t": NOW},
            )
        conn.execute(
            text(
                "INSERT INTO rooms (id, name, private, owner_id, created_at, last_seq) VALUES "
                "(1, 'lobby', false, 1, :t, 3), (2, 'secret', true, 1, :t, 1)"
            ),
            {"t": NOW},
        )
        conn.execute(
            text(
                "INSERT INTO members (room_id, user_id, created_at) VALUES (1, 1, :t), (2, 1, :t), (2, 2, :t)"
            ),
            {"t": NOW},
        )
        rows = [
            (1, 1, 1, "Grüße aus Köln", None, 1),
            (2, 1, 2, "second", None, 2),
            (3, 1, 1, "", NOW, 3),  # deleted in v1
            (4, 2, 2, "private words", None, 1),
        ]
        for mid, room, user, body, deleted, seq in rows:
            conn.execute(
                text(
                    "INSERT INTO messages (id, room_id, user_id, body, created_at, deleted_at, seq) "
                    "VALUES (:i, :r, :u, :b, :t, :d, :s)"
                ),
                {"i": mid, "r": room, "u": user, "b": body, "t": NOW, "d": deleted, "s": seq},
            )
    if db.backend == "postgres":
        with db.engine.begin() as conn:
            for table in ("users", "rooms", "messages"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 10)"))


PASSWORD_HASH = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1).hash("correct horse")


def login_token(base: str, username: str) -> str:
    r = requests.post(
        base + "/api/login", json={"username": username, "password": "correct horse"}, timeout=15
    )
    assert r.status_code == 200, r.text
    return r.json()["token"]


def test_a_v1_database_upgrades_in_place_without_losing_anything(stack):
    db = Database(stack.backend).create()
    try:
        assert migrate.upgrade(db.engine, "0002")[1] == "0002"
        fill_v1(db)
        before = {
            t: db.scalar(f"SELECT count(*) FROM {t}") for t in ("users", "rooms", "members", "messages")
        }
        assert migrate.upgrade(db.engine)[1] == migrate.head_revision()
        after = {t: db.scalar(f"SELECT count(*) FROM {t}") for t in before}
        assert after == before
        assert db.scalar("SELECT last_read FROM members WHERE room_id = 2 AND user_id = 2") == 4
        assert db.scalar("SELECT kind FROM rooms WHERE id = 1") == "room"
        env = server_env(db.url, stack.channel, stack.redis_url, **stack.settings)
        srv = ServerProcess(env, name="v1db").start()
        try:
            alice = login_token(srv.url, "alice")
            api = Api(srv.url, alice)
            page = api.get("/api/rooms/lobby/messages").json()["messages"]
            assert [(m["id"], m["body"], m["thread"], m["reply_count"]) for m in page] == [
                (1, "Grüße aus Köln", None, 0),
                (2, "second", None, 0),
            ]
            assert [m["id"] for m in api.get("/api/search", params={"q": "gru KÖLN"}).json()["messages"]] == [
                1
            ]
            rooms = {r["name"]: r for r in api.get("/api/rooms").json()["rooms"]}
            assert rooms["lobby"]["member"] is True and rooms["lobby"]["unread"] == 0
            client = SioClient(srv.url, alice)
            try:
                sent = client.call("send", {"room": "lobby", "body": "after the upgrade"})
                assert sent["ok"] is False and sent["error"]["code"] == "forbidden"  # join first
                assert client.call("join", {"room": "lobby"})["ok"]
                new = client.call("send", {"room": "lobby", "body": "after the upgrade"})["message"]
                assert new["id"] > 4
            finally:
                client.close()
        finally:
            srv.close()
    finally:
        db.drop()
