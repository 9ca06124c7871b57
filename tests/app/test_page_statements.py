"""A history page reads its messages, the room's sequence number and the reader's standing in
one statement, and its messages' reactions and mentions only for the messages that have any
(app/storage/message_rows.py): a page with none is one statement, a page with some is two,
and every message still carries its own (real database, both backends)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import event, insert

from app.models import Room
from app.storage.engine import make_engine
from app.storage.messages import MessageStore
from app.storage.schema import mentions, messages, reactions, rooms, users
from app.storage.urls import database_url
from tests.support.services import Database


@pytest.fixture(scope="module")
def store():
    db = Database().create()
    db.migrate()
    engine = make_engine(database_url(db.url))
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        ann, bob = (
            conn.execute(
                insert(users)
                .values(username=n, username_key=n, password_hash="x", created_at=now)
                .returning(users.c.id)
            ).scalar()
            for n in ("ann", "bob")
        )
        room = conn.execute(
            insert(rooms)
            .values(name="lobby", private=False, owner_id=ann, created_at=now)
            .returning(rooms.c.id)
        ).scalar()
        ids = [
            conn.execute(
                insert(messages)
                .values(room_id=room, user_id=ann, body=f"m{i}", created_at=now, seq=i + 1)
                .returning(messages.c.id)
            ).scalar()
            for i in range(5)
        ]
        conn.execute(insert(reactions).values(message_id=ids[3], emoji="👍", user_id=bob))
        conn.execute(insert(mentions).values(message_id=ids[4], user_id=bob, room_id=room, position=0))
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    yield MessageStore(engine, send_path=None), Room(room, "lobby", False, ann, "ann"), ids, statements
    engine.dispose()
    db.drop()


def page(store, **kw):
    ms, room, _ids, statements = store
    statements.clear()
    seen = []
    with ms.reads.connect() as conn:
        msgs, _more, _seq, standing = ms._page(conn, room, room.owner_id, seen.append, **kw)
    assert seen == [standing]  # the page's reader's standing, read in the same statement
    return msgs, len(statements)


def test_a_page_without_reactions_or_mentions_is_one_statement(store):
    ids = store[2]
    msgs, n = page(store, before=ids[3])
    assert [m["id"] for m in msgs] == ids[:3]
    assert n == 1
    assert all(m["reactions"] == [] and m["mentions"] == [] for m in msgs)


def test_a_page_with_some_reads_them_for_those_only(store):
    ids = store[2]
    msgs, n = page(store)
    assert [m["id"] for m in msgs] == ids
    assert n == 2
    by_id = {m["id"]: m for m in msgs}
    assert by_id[ids[3]]["reactions"] == [{"emoji": "👍", "count": 1, "users": ["bob"]}]
    assert by_id[ids[4]]["mentions"] == ["bob"]
    assert all(by_id[i]["reactions"] == [] and by_id[i]["mentions"] == [] for i in ids[:3])
