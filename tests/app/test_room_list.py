"""The room list kept per process (app/storage/roomlist.py) and migration 0007's indexes: the
list is the one the database's own name order gives, with each member's counts, whatever
the mix of public rooms, private rooms and DMs; a room created by another process shows."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import text

from app.models import User
from app.storage import migrate
from app.storage.roomlist import RoomList
from tests.support.services import temp_database

NOW = datetime(2026, 12, 4, 12, 0, 0)
# names whose order differs between byte order and a linguistic collation ('-' ignored)
PUBLIC = ["a-c", "ab", "b", "c-1", "c1", "zz"]
PRIVATE = ["a-b", "aa", "b-", "c0", "zzz"]  # private rooms of user 1, between the public ones


@pytest.fixture
def db():
    with temp_database("chat_roomlist_") as db:
        migrate.upgrade(db.engine)
        yield db


def insert(db, sql: str, **params) -> None:
    with db.engine.begin() as conn:
        conn.execute(text(sql), params)


def add_room(db, rid: int, name: str, private: bool, kind: str = "room", dm_key: str | None = None) -> None:
    insert(
        db,
        "INSERT INTO rooms (id, name, private, owner_id, created_at, last_seq, kind, dm_key) "
        "VALUES (:i, :n, :p, 1, :t, 0, :k, :d)",
        i=rid,
        n=name,
        p=private,
        t=NOW,
        k=kind,
        d=dm_key,
    )


def add_member(db, rid: int, uid: int, last_read: int | None = None) -> None:
    insert(
        db,
        "INSERT INTO members (room_id, user_id, created_at, last_read) VALUES (:r, :u, :t, :l)",
        r=rid,
        u=uid,
        t=NOW,
        l=last_read,
    )


def add_message(db, mid: int, rid: int, uid: int, deleted: bool = False) -> None:
    insert(
        db,
        "INSERT INTO messages (id, room_id, user_id, body, created_at, deleted_at, seq) "
        "VALUES (:i, :r, :u, 'hello', :t, :d, :i)",
        i=mid,
        r=rid,
        u=uid,
        t=NOW,
        d=NOW if deleted else None,
    )


def expected(db, user: User) -> list[dict]:
    """The list as the service built it before it kept anything: one query by name, counts
    counted here."""
    rows = db.rows(
        "SELECT r.id, r.name, r.private, r.kind, o.username AS owner, m.user_id IS NOT NULL AS member, "
        "m.last_read FROM rooms r JOIN users o ON o.id = r.owner_id "
        "LEFT JOIN members m ON m.room_id = r.id AND m.user_id = :u "
        "WHERE r.private = :f OR m.user_id IS NOT NULL ORDER BY r.name",
        u=user.id,
        f=False,
    )
    out = []
    for r in rows:
        if r.kind == "dm":
            item = {"name": r.name, "private": True, "owner": None, "kind": "dm", "dm_with": "bob"}
        else:
            item = {"name": r.name, "private": bool(r.private), "owner": r.owner, "kind": "room"}
        item["member"] = bool(r.member)
        if r.member:
            floor = r.last_read or 0
            item["unread"] = db.scalar(
                "SELECT count(*) FROM messages WHERE room_id = :r AND id > :f AND deleted_at IS NULL "
                "AND user_id <> :u",
                r=r.id,
                f=floor,
                u=user.id,
            )
            item["mentions"] = db.scalar(
                "SELECT count(*) FROM mentions x JOIN messages m ON m.id = x.message_id WHERE x.user_id = :u "
                "AND x.room_id = :r AND x.message_id > :f AND m.deleted_at IS NULL AND m.user_id <> :u",
                r=r.id,
                f=floor,
                u=user.id,
            )
        out.append(item)
    return out


@pytest.fixture
def filled(db):
    for uid, name in ((1, "alice"), (2, "bob")):
        insert(
            db,
            "INSERT INTO users (id, username, username_key, password_hash, created_at) "
            "VALUES (:i, :n, :n, 'x', :t)",
            i=uid,
            n=name,
            t=NOW,
        )
    rid = 0
    for name in PUBLIC:
        rid += 1
        add_room(db, rid, name, False)
    for name in PRIVATE:
        rid += 1
        add_room(db, rid, name, True)
        add_member(db, rid, 1)
    add_room(db, 50, "not-mine", True)  # a private room of others
    add_room(db, 51, "dm-0f", True, kind="dm", dm_key="1:2")
    add_member(db, 51, 1)
    add_member(db, 51, 2)
    add_member(db, 2, 1, last_read=3)  # a member of "ab", read up to message 3
    mid = 0
    for room in (2, 2, 2, 2, 2, 7, 51):
        mid += 1
        add_message(db, mid, room, 2, deleted=mid == 5)
    add_message(db, 10, 2, 1)  # their own: not unread
    insert(db, "INSERT INTO mentions (message_id, user_id, room_id, position) VALUES (4, 1, 2, 0)")
    return db


def test_the_list_is_the_databases_order_with_the_members_counts(filled):
    alice = User(1, "alice")
    listed = RoomList(filled.engine).visible(alice)
    assert listed == expected(filled, alice)
    names = [r["name"] for r in listed]
    assert "not-mine" not in names and set(PUBLIC + PRIVATE) <= set(names)
    ab = next(r for r in listed if r["name"] == "ab")
    assert (ab["member"], ab["unread"], ab["mentions"]) == (True, 1, 1)  # 4 (5 deleted, 10 hers)
    assert next(r for r in listed if r["name"] == "dm-0f")["dm_with"] == "bob"
    # a user in no room sees the public ones
    assert RoomList(filled.engine).visible(User(3, "carol")) == expected(filled, User(3, "carol"))


def test_a_room_created_elsewhere_shows_in_place(filled):
    alice = User(1, "alice")
    kept = RoomList(filled.engine)
    assert kept.visible(alice) == expected(filled, alice)
    add_room(filled, 60, "ab-new", False)  # as another process would
    add_room(filled, 61, "a", True)
    add_member(filled, 61, 1)
    assert kept.visible(alice) == expected(filled, alice)
    add_member(filled, 60, 1)
    add_message(filled, 20, 60, 2)
    listed = kept.visible(alice)
    assert listed == expected(filled, alice)
    assert next(r for r in listed if r["name"] == "ab-new")["unread"] == 1


def test_migration_0007_adds_the_indexes_and_takes_them_back(db):
    def indexes():
        if db.backend == "postgres":
            return dict(
                db.rows("SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('messages', 'rooms')")
            )
        return dict(db.rows("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"))

    live, public = indexes()["ix_messages_live_room_id_id"], indexes()["ix_rooms_public_name"]
    assert "deleted_at IS NULL" in live and "NOT private" in public.replace("(", "").replace(")", "")
    if db.backend == "postgres":
        assert "INCLUDE (user_id)" in live
        plan = "\n".join(
            db.rows(
                "EXPLAIN SELECT count(*) FROM messages WHERE room_id = 1 AND id > 5 "
                "AND deleted_at IS NULL AND user_id <> 2"
            )[i][0]
            for i in range(2)
        )
        assert "ix_messages_live_room_id_id" in plan
    else:
        assert "user_id" in live
    engine = db.engine
    with engine.begin() as conn:
        from alembic import command

        cfg = migrate._alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0006")
    assert not {"ix_messages_live_room_id_id", "ix_rooms_public_name"} & set(indexes())
    assert migrate.upgrade(engine) == ("0006", migrate.head_revision())
    assert {"ix_messages_live_room_id_id", "ix_rooms_public_name"} <= set(indexes())
