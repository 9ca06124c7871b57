"""The join's pages run as statements prepared once per connection (app/storage/prepared.py),
on a real database: the same rows as the statement sent as text, prepared again on a
connection the pool replaced, and on PostgreSQL a cached plan that keeps walking the index
as the table grows after it was made on an empty table (the send statement's generic plan,
made on a small table, hashed the whole table in every send)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, text

from app.storage.engine import make_engine, make_read_engine
from app.storage.messages import JOIN_STATEMENTS, page_query
from app.storage.prepared import PREPARED_KEY
from app.storage.schema import messages, rooms, users
from app.storage.urls import database_url
from tests.support.services import Database
from tests.support.settings import BACKEND

NOW = datetime.now(UTC).replace(tzinfo=None)


@pytest.fixture(scope="module")
def db():
    db = Database().create()
    db.migrate()
    engine = make_engine(database_url(db.url))
    with engine.begin() as conn:
        user = conn.execute(
            insert(users)
            .values(username="ann", username_key="ann", password_hash="x", created_at=NOW)
            .returning(users.c.id)
        ).scalar()
    yield engine, user
    engine.dispose()
    db.drop()


def new_room(engine, user: int, name: str, count: int) -> int:
    with engine.begin() as conn:
        room = conn.execute(
            insert(rooms)
            .values(name=name, private=False, owner_id=user, created_at=NOW)
            .returning(rooms.c.id)
        ).scalar()
        for i in range(count):
            conn.execute(
                insert(messages).values(room_id=room, user_id=user, body=f"m{i}", created_at=NOW, seq=i + 1)
            )
    return room


def params(room: int, user: int, edge: int | None = None) -> dict:
    return {"room": room, "user": user, "thread": None, "edge": edge, "limit": 51}


@pytest.mark.parametrize("shape", sorted(JOIN_STATEMENTS))
def test_the_prepared_page_reads_what_the_statement_reads(db, shape):
    engine, user = db
    room = new_room(engine, user, f"same-{shape[0]}-{shape[1]}", 8)
    args = params(room, user, edge=0 if shape[1] == "after" else None)
    with engine.connect() as conn:
        plain = [tuple(r) for r in conn.execute(page_query(*shape), args)]
        runs = [[tuple(r) for r in JOIN_STATEMENTS[shape].run(conn, args)] for _ in range(7)]
    assert len(plain) == 8 and plain[0][0] is not None
    assert all(rows == plain for rows in runs)


@pytest.mark.skipif(BACKEND != "postgres", reason="PostgreSQL prepares; SQLite runs the text")
def test_prepared_once_per_connection_and_again_on_a_new_one(db):
    engine, user = db
    room = new_room(engine, user, "once", 3)
    statement = JOIN_STATEMENTS[("top", "newest")]
    calls = text(
        "SELECT coalesce(sum(generic_plans + custom_plans), 0) FROM pg_prepared_statements WHERE name = :n"
    )
    with engine.connect() as conn:
        before = conn.execute(calls, {"n": statement.name}).scalar()
        for _ in range(3):
            assert len(statement.run(conn, params(room, user)).all()) == 3
        assert statement.name in conn.info[PREPARED_KEY]
        assert conn.execute(calls, {"n": statement.name}).scalar() == before + 3
        conn.invalidate()  # the pool replaces the connection (as after a dead one)
    with engine.connect() as conn:
        assert PREPARED_KEY not in conn.info
        assert len(statement.run(conn, params(room, user)).all()) == 3


@pytest.mark.skipif(BACKEND != "postgres", reason="a plan cached by PostgreSQL")
@pytest.mark.parametrize("shape", sorted(JOIN_STATEMENTS))
def test_the_plan_cached_on_an_empty_room_walks_the_index_as_the_room_grows(db, shape):
    engine, user = db
    room = new_room(engine, user, f"grows-{shape[0]}-{shape[1]}", 0)
    statement = JOIN_STATEMENTS[shape]
    args = params(room, user, edge=0 if shape[1] == "after" else None)
    with engine.connect() as conn:
        for _ in range(8):  # past PostgreSQL's five custom plans: the generic one is cached
            statement.run(conn, args).all()
        generic = conn.execute(
            text("SELECT generic_plans FROM pg_prepared_statements WHERE name = :n"), {"n": statement.name}
        ).scalar()
        assert generic > 0
        conn.execute(
            text(
                "INSERT INTO messages (room_id, user_id, body, created_at, seq)"
                " SELECT :room, :user, 'x', now(), g FROM generate_series(1, 50000) g"
            ),
            {"room": room, "user": user},
        )
        conn.commit()
        explained = conn.exec_driver_sql("EXPLAIN " + statement.execute_sql, statement.args(args))
        plan = "\n".join(explained.scalars())
        conn.rollback()
    assert "Seq Scan on messages" not in plan, plan
    assert "ix_messages_live_room_id_id on messages" in plan, plan


@pytest.mark.skipif(BACKEND != "postgres", reason="PostgreSQL's cached statements")
def test_a_migration_that_changes_a_returned_column_under_a_running_process(db):
    """A rolling deploy migrates while the old processes still run: PostgreSQL refuses a
    prepared statement whose result's columns changed type ("cached plan must not change
    result type"), which the statement sent as text never meets. The reads' connection
    prepares it again and the join goes on."""
    engine, user = db
    room = new_room(engine, user, "migrated", 4)
    reads = make_read_engine(engine.url.render_as_string(hide_password=False), pool_size=1)
    statement = JOIN_STATEMENTS[("all", "after")]
    args = params(room, user, edge=0)
    try:
        with reads.connect() as conn:
            before = [tuple(r) for r in statement.run(conn, args)]
            with engine.begin() as other:
                other.execute(text("ALTER TABLE messages ALTER COLUMN client_id TYPE varchar(80)"))
            after = [tuple(r) for r in statement.run(conn, args)]
            again = [tuple(r) for r in statement.run(conn, args)]
    finally:
        reads.dispose()
        with engine.begin() as other:
            other.execute(text("ALTER TABLE messages ALTER COLUMN client_id TYPE varchar(64)"))
    assert len(before) == 4
    assert after == before and again == before
