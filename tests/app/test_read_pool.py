"""The reads' pool (app/storage/engine.py make_read_engine) keeps every connection it opened:
a burst that uses all of them, then another, meets the same PostgreSQL backends. With
overflow connections, each burst's overflow was closed as it ended and opened again by the
next (a reconnect storm's joins come in such bursts: a backend started every time)."""

from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import text

from app.storage.engine import make_read_engine
from app.storage.urls import database_url
from tests.support.services import Database
from tests.support.settings import BACKEND

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="SQLite's reads share its one engine")


def burst(engine, width: int) -> set[int]:
    """Backend pids of `width` connections checked out at once, then all given back."""
    with contextlib.ExitStack() as stack:
        conns = [stack.enter_context(engine.connect()) for _ in range(width)]
        return {c.execute(text("SELECT pg_backend_pid()")).scalar() for c in conns}


def test_a_second_burst_meets_the_connections_of_the_first():
    db = Database().create()
    engine = make_read_engine(database_url(db.url), pool_size=3)
    try:
        first = burst(engine, 6)  # 2 x pool_size: every connection the reads may hold
        assert len(first) == 6
        assert burst(engine, 6) == first
        assert engine.pool.checkedin() == 6
    finally:
        engine.dispose()
        db.drop()
